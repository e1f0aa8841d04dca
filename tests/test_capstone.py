"""The capstone week's simulated world: its traffic and the provider's fault schedule (no model server)."""

from __future__ import annotations

from collections import Counter

import pytest

from labkit.capstone import world
from labkit.capstone.faults import FaultSchedule, FaultWindow


def test_fault_schedule_is_deterministic_and_windowed() -> None:
    with pytest.raises(ValueError, match="fault kind"):
        FaultWindow("meteor", 0, 1)
    with pytest.raises(ValueError, match="start_s < end_s"):
        FaultWindow("timeout", 5, 1)
    s = FaultSchedule([FaultWindow("rate_limit", 10, 20, share=0.5)])
    inside = [s.fault_at(15) for _ in range(10)]
    assert inside.count("rate_limit") == 5
    assert s.fault_at(25) is None and s.fault_at(5) is None


def test_fault_windows_follow_the_seed_and_stay_in_the_week() -> None:
    a, b = world.fault_windows(3, 7), world.fault_windows(3, 7)
    assert a == b and a != world.fault_windows(4, 7)
    assert all(0 <= w.start_s < w.end_s <= 7 * world.DAY_S for w in a)
    assert {w.kind for w in a} == {"server_error", "rate_limit", "malformed", "timeout"}


def test_traffic_is_reproducible_and_mixes_attacks_personal_data_and_tenants() -> None:
    cfg = world.CapstoneConfig(days=3, seed=5, scale=0.3)
    week = world.build_traffic(cfg)
    assert [(r.id, r.ts, r.question) for r in week] == [(r.id, r.ts, r.question) for r in world.build_traffic(cfg)]
    assert [r.ts for r in week] == sorted(r.ts for r in week)
    assert len({r.id for r in week}) == len(week)
    kinds = Counter(r.kind for r in week)
    assert kinds["attack"] and kinds["pii"] and kinds["tenant_probe"]
    assert all(0 <= r.ts < cfg.days * world.DAY_S for r in week)


def test_config_rejects_bad_settings_with_the_range() -> None:
    with pytest.raises(ValueError, match=r"days must be in \(0, 14\]"):
        world.CapstoneConfig(days=0)
    with pytest.raises(ValueError, match="attack_share"):
        world.CapstoneConfig(attack_share=1.5)
