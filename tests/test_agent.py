"""labkit.agent: tools over the real KB and accounts, the trajectory eval on hand-built trajectories, the
runaway-loop guard against a failing endpoint (a local HTTP server that always asks for a tool), and
an end-to-end traced session on the real embedded model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit import agent, tracing
from labkit.agent import Call, Limits, Trajectory, conversation_check, trajectory_score

MODEL = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def tools() -> dict[str, agent.Tool]:
    return agent.quaywise_tools(search_mode="bm25")


@pytest.fixture(scope="module")
def tasks() -> list[dict]:
    return agent.load_tasks()


# ---------------------------------------------------------------- tools and labels
def test_plan_price_is_read_from_the_kb_pricing_page(tools: dict[str, agent.Tool]) -> None:
    price = tools["get_plan_price"]
    assert price.run({"plan": "team", "billing": "monthly"})["price"] == "$19"
    assert price.run({"plan": "business", "billing": "annual"})["price"] == "$29"
    assert "not sold on monthly" in price.run({"plan": "enterprise", "billing": "monthly"})["error"]
    assert "must be one of" in price.run({"plan": "gold", "billing": "monthly"})["error"]
    assert "needs" in price.run({"plan": "team"})["error"]


def test_account_and_search_tools_answer_from_their_data(tools: dict[str, agent.Tool]) -> None:
    assert tools["lookup_account"].run({"account_id": "acc-1003"})["plan"] == "business"
    assert "no account" in tools["lookup_account"].run({"account_id": "ACC-9999"})["error"]
    results = tools["search_kb"].run({"query": "personal access token prefix"})["results"]
    assert len(results) == 3 and any("qw_pat" in r["text"] for r in results)
    assert all(len(r["text"].split()) <= 70 for r in results)  # trimmed to keep the prompt small


def test_task_labels_are_consistent_with_the_tools(tasks: list[dict], tools: dict[str, agent.Tool]) -> None:
    """At least 40 tasks; the expected calls are valid, and for price and account tasks running them gives the fact."""
    assert len(tasks) >= 40 and len({t["id"] for t in tasks}) == len(tasks)
    for task in tasks:
        assert len(task["expected_tools"]) == len(task["expected_arguments"]), task["id"]
        results = []
        for name, args in zip(task["expected_tools"], task["expected_arguments"], strict=True):
            exact = {k: v for k, v in args.items() if v is not None and not v.startswith("~")}
            assert name in tools, task["id"]
            if name == "get_plan_price":
                exact.setdefault("billing", "annual")  # a label that leaves billing open: both cycles are right
            if name != "search_kb":
                results.append(json.dumps(tools[name].run(exact)))
        if task["kind"] in ("price", "account", "multi_step"):
            assert all(f.lower() in results[-1].lower() for f in task["expected_facts"]), task["id"]


# ---------------------------------------------------------------- trajectory scoring (pure)
PRICE_TASK = {"id": "t1", "kind": "price", "turns": ["How much is Team, monthly?"], "expected_tools": ["get_plan_price"],
              "expected_arguments": [{"plan": "team", "billing": "monthly"}], "expected_facts": ["$19"]}
CONV_TASK = {"id": "t2", "kind": "conversation", "turns": ["Which plan is ACC-1009 on?", "And its annual price?"],
             "expected_tools": ["lookup_account", "get_plan_price"],
             "expected_arguments": [{"account_id": "ACC-1009"}, {"plan": "team", "billing": "annual"}],
             "expected_facts": ["$16"]}


def test_a_perfect_trajectory_scores_one() -> None:
    s = trajectory_score(PRICE_TASK, Trajectory((Call("get_plan_price", {"plan": "Team", "billing": "monthly"}),),
                                                ("Team costs $19 per user per month.",), steps=2))
    assert s.success and s.score == 1.0 and s.efficiency == 1.0


def test_wrong_tool_arguments_answer_and_extra_steps_each_cost_points() -> None:
    wrong_tool = trajectory_score(PRICE_TASK, Trajectory((Call("search_kb", {"query": "team"}),), ("$19",), 2))
    assert not wrong_tool.right_tools and not wrong_tool.right_arguments and wrong_tool.answer_has_facts
    wrong_args = trajectory_score(PRICE_TASK, Trajectory((Call("get_plan_price", {"plan": "team", "billing": "annual"}),),
                                                         ("$16",), 2))
    assert wrong_args.right_tools and not wrong_args.right_arguments and not wrong_args.success
    slow = trajectory_score(PRICE_TASK, Trajectory((Call("search_kb", {"query": "x"}),
                                                    Call("get_plan_price", {"plan": "team", "billing": "monthly"})),
                                                   ("It is $19.",), 4))
    assert slow.success and slow.efficiency == 0.5 and slow.score == pytest.approx(0.875)
    stopped = trajectory_score(PRICE_TASK, Trajectory((Call("get_plan_price", {"plan": "team", "billing": "monthly"}),),
                                                      ("",), 6, stopped=True))
    assert not stopped.success and stopped.efficiency == 0.0


def test_search_arguments_match_any_listed_word() -> None:
    assert agent.trajectory.argument_matches("~webhook|sign", "How are Webhooks signed")
    assert not agent.trajectory.argument_matches("~webhook|sign", "rate limits")
    assert not agent.trajectory.argument_matches("team", None)


def test_conversation_check_needs_the_first_turns_context() -> None:
    carried = Trajectory((Call("lookup_account", {"account_id": "ACC-1009"}),
                          Call("get_plan_price", {"plan": "team", "billing": "annual"})),
                         ("ACC-1009 is on Team.", "Team is $16 per user per month, billed annually."), 4)
    assert conversation_check(CONV_TASK, carried) is True
    forgot = Trajectory((Call("lookup_account", {"account_id": "ACC-1009"}),
                         Call("get_plan_price", {"plan": "starter", "billing": "annual"})), ("Team.", "$7"), 4)
    assert conversation_check(CONV_TASK, forgot) is False
    assert conversation_check(PRICE_TASK, carried) is None


def test_summary_has_intervals_and_counts_stops() -> None:
    good = trajectory_score(PRICE_TASK, Trajectory((Call("get_plan_price", {"plan": "team", "billing": "monthly"}),),
                                                   ("$19",), 2))
    bad = trajectory_score(PRICE_TASK, Trajectory((), ("",), 6, stopped=True))
    summary = agent.summarise([good, bad, good, bad], [True, False])
    assert summary.success.estimate == 0.5 and summary.success.low <= 0.5 <= summary.success.high
    assert summary.stopped == 2 and summary.conversation is not None and summary.n == 4


# ---------------------------------------------------------------- the guard, against a failing endpoint
# agent.RunawayEndpoint answers every chat call with another tool call: a model that never stops.
@pytest.fixture
def runaway_url() -> Iterator[str]:
    with agent.RunawayEndpoint(MODEL) as url:
        yield url


def _runaway_agent(url: str, tools: dict[str, agent.Tool], limits: Limits) -> agent.Agent:
    return agent.Agent(tools, client=tracing.traced_client(url, max_retries=0), model=MODEL, protocol="tools",
                       limits=limits)


def test_the_step_limit_stops_a_runaway_loop_and_the_trace_says_why(runaway_url: str, tools: dict[str, agent.Tool],
                                                                   tmp_path: Path) -> None:
    t = tracing.setup(tmp_path / "traces.sqlite", sample_rate=1.0)
    try:
        a = _runaway_agent(runaway_url, tools, Limits(max_steps=5, max_cost_usd=1.0))
        run = a.run(a.session("runaway-1"), "Which plan is ACC-1001 on?")
        t.flush()
        assert run.stopped is not None and run.stopped.reason == agent.STEP_LIMIT
        assert run.model_calls == 5 and len(run.tool_steps) == 5 and run.answer == ""
        spans = t.store.spans(trace_id=run.trace_id)
    finally:
        t.shutdown()
    root = next(s for s in spans if s.parent_id is None)
    assert root.name.startswith("invoke_agent") and root.error
    assert root.attributes["labkit.agent.stopped_by"] == "step_limit" and root.attributes["session.id"] == "runaway-1"
    tool_spans = [s for s in spans if s.attributes.get("gen_ai.operation.name") == "execute_tool"]
    chat_spans = [s for s in spans if s.attributes.get("gen_ai.operation.name") == "chat"]
    assert sorted(s.attributes["gen_ai.tool.call.id"] for s in tool_spans) == sorted(
        st.call.id for st in run.tool_steps)
    assert len(chat_spans) == run.model_calls and all(s.parent_id == root.span_id for s in chat_spans + tool_spans)


def test_the_cost_limit_stops_a_session_before_the_call_that_would_pass_it(runaway_url: str,
                                                                           tools: dict[str, agent.Tool]) -> None:
    a = _runaway_agent(runaway_url, tools, Limits(max_steps=100, max_cost_usd=0.001, max_tokens=50))
    a.guard.price = lambda model, i, o: (i + o) * 1e-6  # $1 per million tokens, so a step costs about $0.0002
    run = a.run(a.session(), "Which plan is ACC-1001 on?")
    assert run.stopped is not None and run.stopped.reason == agent.COST_LIMIT, run.stopped
    assert 2 <= run.model_calls < 10 and a.guard.spent(run.session_id) <= 0.001


def test_an_identical_repeated_call_is_stopped_as_a_loop(tools: dict[str, agent.Tool]) -> None:
    with agent.RunawayEndpoint(MODEL, same_arguments=True) as url:
        a = _runaway_agent(url, tools, Limits(max_steps=20, max_repeats=2))
        run = a.run(a.session(), "Which plan is ACC-1001 on?")
    assert run.stopped is not None and run.stopped.reason == agent.REPEATED_CALL
    assert len(run.tool_steps) == 2 and run.model_calls == 3


# ---------------------------------------------------------------- end to end on the real model
@pytest.mark.server
def test_a_two_turn_session_on_the_embedded_model_is_traced_step_by_step(embedded: object,
                                                                         tools: dict[str, agent.Tool],
                                                                         tmp_path: Path) -> None:
    t = tracing.setup(tmp_path / "traces.sqlite", sample_rate=1.0)
    try:
        a = agent.Agent(tools, limits=Limits(max_steps=8))
        session = a.session("e2e-session")
        runs = [a.run(session, "Which plan is account ACC-1009 on?"),
                a.run(session, "And what does that plan cost per user, billed annually?")]
        t.flush()
        spans = [s for r in runs for s in t.store.spans(trace_id=r.trace_id)]
    finally:
        t.shutdown()
    assert a.protocol in ("tools", "json_schema")
    roots = [s for s in spans if s.parent_id is None]
    assert len(roots) == 2 and {r.attributes["session.id"] for r in roots} == {"e2e-session"}
    assert [r.attributes["labkit.agent.turn"] for r in sorted(roots, key=lambda s: s.start_ns)] == [1, 2]
    chat = [s for s in spans if s.attributes.get("gen_ai.operation.name") == "chat"]
    tool = [s for s in spans if s.attributes.get("gen_ai.operation.name") == "execute_tool"]
    assert len(chat) == sum(r.model_calls for r in runs) >= 2
    assert len(tool) == sum(len(r.tool_steps) for r in runs)
    assert all(s.attributes["session.id"] == "e2e-session" and s.attributes["gen_ai.tool.call.id"] for s in tool)
    for r in runs:  # each turn ends with an answer or a guard stop that says why
        assert r.answer or (r.stopped is not None and r.stopped.message.startswith("stopped:"))
    assert len([m for m in session.messages if m["role"] == "user" and "ACC-1009" in m["content"]]) == 1
