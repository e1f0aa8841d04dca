"""Cheap pattern rules for prompt injection and jailbreaks.

Each rule is a family of phrasings attackers use (overriding earlier instructions, "developer mode",
asking for the system prompt, forbidding refusals, ...) with a weight: how sure a match alone makes
us. Matches combine like independent pieces of evidence (noisy-OR: ``1 - prod(1 - w)``), so two
medium rules outweigh one. The rules were written from the published attack taxonomies before the
evaluation sets were run; they are meant to be read and argued with, not tuned to a test set.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from labkit.guardrails.core import Guard, GuardContext, Verdict

__all__ = ["RULES", "HeuristicGuard", "Rule", "heuristic_score"]


@dataclass(frozen=True)
class Rule:
    """One family of attack phrasings.

    Attributes:
        name: short id shown in verdicts.
        pattern: compiled regular expression (case-insensitive unless stated).
        weight: how sure one match makes us, in (0, 1).
        why: one line a reviewer can check the rule against.
    """

    name: str
    pattern: re.Pattern[str]
    weight: float
    why: str


def _r(p: str, flags: int = re.IGNORECASE | re.DOTALL) -> re.Pattern[str]:
    return re.compile(p, flags)


_VERBS = r"(?:ignore|disregard|forget|skip|override|overwrite|bypass|drop|abandon|discard|neglect)"
_WHAT = r"(?:instructions?|prompts?|rules|directives?|guidelines|guidance|context|commands?|orders|tasks?|programming|training|constraints|restrictions)"

RULES: tuple[Rule, ...] = (
    Rule("override", _r(
        rf"\b{_VERBS}\b[^.\n]{{0,40}}?\b(?:all|any|every|the|your|my|these|those|previous|prior|above|earlier|"
        rf"preceding|initial|original|system|old)\b[^.\n]{{0,30}}?\b{_WHAT}\b"), 0.8,
        "tells the model to drop the instructions it was given"),
    Rule("override_short", _r(
        rf"\b(?:{_VERBS}|stop)\b[\s:,-]{{0,3}}(?:everything|all|anything|what (?:i|you) (?:said|were told)|that)?\s*"
        r"(?:above|before|so far|earlier|previously|said before)\b"), 0.7,
        "'ignore everything above', 'forget all that was said before'"),
    Rule("ignore_everything", _r(r"\b(?:ignore|disregard|forget)\s+(?:everything|anything)\b(?! about)"), 0.6,
         "'ignore everything' (and do something else)"),
    Rule("override_other_languages", _r(
        r"\b(?:vergiss|vergessen sie|ignoriere|ignorieren sie|missachte)\b.{0,60}\b(?:anweisungen|aufgaben|"
        r"instruktionen|befehle|regeln|alles)\b|\bneue (?:anweisungen|aufgaben)\b"
        r"|\b(?:olvid[ae]|ignora)\b.{0,30}\b(?:todo|todas|instrucciones)\b"
        r"|\b(?:ignorez|oubliez|oublie)\b.{0,30}\b(?:tout|toutes|consignes|instructions)\b"
        r"|\b(?:dimentica|ignora)\b.{0,30}\b(?:tutto|istruzioni)\b"
        r"|\b(?:esque[cç]a|ignore)\b.{0,30}\b(?:tudo|instru[cç][oõ]es)\b"), 0.75,
        "overrides in German, Spanish, French, Italian, Portuguese"),
    Rule("new_instructions", _r(
        r"\b(?:new|updated|real|actual|secret|hidden|important|additional)\s+(?:important\s+)?"
        r"(?:instructions?|tasks?|directives?|orders|rules)\s*(?:[:!*]|follow|are|is)"), 0.45,
        "announces replacement instructions"),
    Rule("persona_unrestricted", _r(
        r"\b(?:do anything now|jailbr(?:ea|o)k(?:en)?|god ?mode|unfiltered|uncensored|no[- ]limits? (?:ai|mode)|"
        r"amoral|unrestricted ai|no (?:ethical|moral)(?: or moral)? (?:guidelines|principles|constraints|limits)|"
        r"without any (?:ethical |moral )?(?:restrictions|filters|censorship|limitations|guidelines)|"
        r"(?:not|never) (?:bound|restricted|limited) by (?:any )?(?:rules|policies|guidelines|restrictions|ethics)|"
        r"free (?:from|of) (?:all |any )?(?:restrictions|rules|constraints|guidelines|limitations|filters)|"
        r"broken free|break free of|no longer (?:have to|need to) (?:follow|abide|obey))"), 0.75,
        "asks for an unrestricted persona or mode"),
    Rule("special_mode", _r(
        r"\b(?:developer|dev|admin(?:istrator)?|maintenance|debug|root|sudo|god|unlocked|opposite)\s+"
        r"(?:mode|override|access)\b"), 0.45, "claims a special mode that lifts the rules"),
    Rule("dan_name", _r(r"\b(?:DAN|STAN|DUDE|AIM|BetterDAN|AntiGPT)\b(?:\s*(?:mode|:|\())", 0), 0.5,
         "names a well-known jailbreak persona"),
    Rule("prompt_leak", _r(
        r"\b(?:reveal|show|print|repeat|output|display|share|leak|dump|tell me|give me|what (?:is|are|were)|"
        r"copy|paste|recite|write out)\b.{0,40}\b(?:your|the|its|my)\s+(?:full\s+|entire\s+|exact\s+|"
        r"original\s+|initial\s+|hidden\s+|secret\s+)*(?:system|initial|original|hidden|secret|internal|"
        r"developer|pre-?prompt)\s*(?:prompt|instructions?|message|rules|directives|configuration|guidelines)"), 0.7,
        "asks for the system prompt or hidden instructions"),
    Rule("prompt_leak_plain", _r(
        r"\b(?:what (?:are|were|is)|tell me|show me|list|reveal)\s+(?:all\s+)?your\s+(?:\w+\s+)?"
        r"(?:instructions|rules|directives|guidelines|prompt)\b|\bwhat were you (?:told|instructed|given)\b|"
        r"\b(?:before|at the (?:start|beginning) of) (?:this|our|the) (?:conversation|chat|prompt)\b"), 0.6,
        "asks what the assistant was told"),
    Rule("prompt_leak_above", _r(
        r"\b(?:repeat|print|output|copy|reproduce)\b.{0,30}\b(?:the )?(?:text|words|everything|all)\s+"
        r"(?:above|before this|prior|preceding|you were given)"), 0.6, "asks to echo the hidden context"),
    Rule("role_hijack", _r(
        r"\b(?:you are no longer|you're no longer|you are not an? (?:ai|assistant|language model) anymore|"
        r"from now on,? you (?:are|will|must|shall)|stay in character|remain in character|never break character|"
        r"you (?:will|must) (?:now )?(?:act|pretend|roleplay|role-play) as|simulate (?:an? )?(?:ai|chatbot) "
        r"(?:that|which|without)|(?:act as|pretend (?:to be|you are|you're)|you are (?:now )?)\s*(?:an? )?"
        r"(?:unrestricted|evil|uncensored|unethical|rogue|malicious|unhinged)\b)"), 0.55,
        "replaces the assistant's role"),
    Rule("refusal_suppression", _r(
        r"\b(?:never|don't|do not|must not|mustn't|cannot|can't|will not|won't|shall not)\s+(?:ever\s+)?"
        r"(?:refuse|decline|apologi[sz]e|say (?:that )?(?:you )?(?:can't|cannot|are unable)|include (?:any )?"
        r"(?:warnings?|disclaimers?|caveats?)|mention (?:ethics|morality|legality)|warn)"), 0.55,
        "forbids refusals or warnings"),
    Rule("ignore_context", _r(
        r"\b(?:don'?t|do not|never|stop)\s+(?:answer|respond|look|use|rely|refer|consult)\w*\b.{0,40}"
        r"\b(?:documents?|context|sources|provided|instructions|rules)\b"), 0.6,
        "tells the model to set its sources or rules aside"),
    Rule("forced_output", _r(
        r"\b(?:just|only|simply)\s+(?:output|say|print|write|respond with|reply with|answer with)\b\s*[\"'“:]"), 0.45,
        "dictates the exact output"),
    Rule("forced_prefix", _r(
        r"\b(?:start|begin|prefix|open)\s+(?:your|each|every|the)?\s*(?:response|reply|answer|output)s?\s+"
        r"(?:with|by saying)\s*[\"'“:]?\s*(?:sure|absolutely|of course|certainly|here is|here's)"), 0.6,
        "forces an affirmative opening (a classic jailbreak lever)"),
    Rule("decode_and_obey", _r(
        r"\b(?:decode|decrypt|translate|convert|rot13|base64|hex|reverse)\b.{0,60}\b(?:and|then)\s+"
        r"(?:do|follow|execute|obey|carry out|perform|answer|act on|comply)\b"), 0.6,
        "asks to decode hidden text and act on it"),
    Rule("fake_turns", _r(
        r"(?:^|\n)\s*(?:system|assistant|developer)\s*:|<\|?(?:im_start|im_end|system|endoftext)\|?>|"
        r"\[/?(?:INST|SYS)\]|<</?SYS>>|#{2,}\s*(?:system|instruction|new instruction)"), 0.5,
        "fakes chat-template role markers"),
    Rule("exfil_markdown", _r(r"!\[[^\]]*\]\(\s*https?://[^)\s]*[?&][\w-]+=[^)]*\)"), 0.6,
         "markdown image whose URL would carry data out"),
    Rule("hypothetical_wrapper", _r(
        r"\b(?:hypothetical(?:ly)?|fictional|imaginary|in a (?:story|novel|screenplay|movie))\b.{0,120}"
        r"\b(?:no (?:rules|laws|restrictions|limits|ethics)|anything goes|without (?:consequences|restrictions))"), 0.5,
        "wraps the request in fiction with no rules"),
    Rule("token_smuggling", _r(r"(?:\b\w\b[ .\-_*]){8,}\w\b"), 0.25,
         "letters spelled out one by one (a trigger word split to slip past filters)"),
)


def heuristic_score(text: str, rules: tuple[Rule, ...] = RULES) -> tuple[float, list[str]]:
    """Combined score and the names of the rules that matched.

    Args:
        text: the text to scan (already normalised, ideally).
        rules: the rule set.

    Returns:
        ``(score, matched)`` where ``score = 1 - prod(1 - weight)`` over matched rules.
    """
    miss = 1.0
    matched = []
    for rule in rules:
        if rule.pattern.search(text):
            miss *= 1.0 - rule.weight
            matched.append(rule.name)
    return 1.0 - miss, matched


class HeuristicGuard(Guard):
    """Pattern rules for injection and jailbreak phrasing, checked on every decoded view.

    Args:
        block_at: block when the combined score reaches this.
        flag_at: flag (let through, recorded) when it reaches this.
        rules: the rule set (:data:`RULES` by default).
        max_chars: scan at most this many characters of each view (bounds regex time).
        confirm_at: a second stage for the layer: when given, a match in the plain text blocks only if the
            classifier (run earlier in the pipeline) scored the prompt at least ``confirm_at()``; below
            that it is flagged. A function, so a lazily fitted detector's calibrated threshold can be
            read at check time. Alone (no classifier score), the guard blocks on the pattern as before.
    """

    name = "heuristics"

    def __init__(self, block_at: float = 0.7, flag_at: float = 0.4, rules: tuple[Rule, ...] = RULES,
                 *, max_chars: int = 20_000, confirm_at: Callable[[], float] | None = None) -> None:
        if not 0 < flag_at <= block_at <= 1:
            raise ValueError(f"need 0 < flag_at <= block_at <= 1, got flag_at={flag_at}, block_at={block_at}")
        self.block_at, self.flag_at, self.rules, self.max_chars = block_at, flag_at, rules, max_chars
        self.confirm_at = confirm_at

    def _unconfirmed(self, kind: str, ctx: GuardContext) -> str | None:
        """Why a match in the plain text should not block alone, or None: the classifier that ran before
        this guard scored the prompt below ``confirm_at`` (attack words used innocently: "how do I
        jailbreak a Kindle", "what is the system prompt in Windows"). A match in a decoded view always
        blocks: hiding the words is itself a sign."""
        if self.confirm_at is None or kind != "canonical" or "classifier" not in ctx.scores:
            return None
        need = self.confirm_at()
        if ctx.scores["classifier"] >= need:
            return None
        return f"not confirmed: classifier P(attack)={ctx.scores['classifier']:.2f} < {need:.2f}"

    def check(self, text: str, ctx: GuardContext) -> Verdict:
        views = ctx.views or []
        readings = [(v.kind, v.text) for v in views] if views else [("canonical", text)]
        best, best_kind, best_rules = 0.0, "canonical", []
        for kind, t in readings:
            score, matched = heuristic_score(t[: self.max_chars], self.rules)
            if score > best:
                best, best_kind, best_rules = score, kind, matched
        where = "" if best_kind == "canonical" else f" (in the {best_kind}-decoded text)"
        unconfirmed = self._unconfirmed(best_kind, ctx) if best >= self.block_at else None
        if best >= self.block_at and unconfirmed is None:
            return self.block(f"attack phrasing: {', '.join(best_rules)}{where}", best, rules=best_rules,
                              view=best_kind)
        if best >= self.flag_at:
            note = f"; {unconfirmed}" if unconfirmed else ""
            return self.flag(f"possible attack phrasing: {', '.join(best_rules)}{where}{note}", best,
                             rules=best_rules, view=best_kind)
        return self.allow("no attack phrasing", best, rules=best_rules)
