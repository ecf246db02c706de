"""riflex/limits.py: the allowed range of every RIFLEx RoPE setting, checked in one place, and
every allowed value keeps the frequency math finite."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riflex.defaults import METHOD_NAMES
from riflex.families import FAMILIES, get_family
from riflex.limits import AXES_NAMES, LIMITS, settings_problem
from riflex.methods import MethodParams
from riflex.plan import AXES, plan_temporal


def test_axes_names_are_the_plans_axes():
    assert AXES_NAMES == tuple(AXES)


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_each_limit_is_allowed_and_just_past_it_is_not(name):
    low, high = LIMITS[name]
    whole = isinstance(low, int) and isinstance(high, int)
    step = 1 if whole else 1e-9
    pair = {
        "yarn_alpha": {"yarn_beta": high, "method": "yarn"},
        "yarn_beta": {"yarn_alpha": low, "method": "yarn"},
    }.get(name, {})
    if name == "s":  # 0 (auto) and 1..16; between 0 and 1 is refused
        assert settings_problem({"s": 0.0}) is None and settings_problem({"s": 1.0}) is None
        assert settings_problem({"s": 0.5}) is not None
    elif name == "yarn_alpha":  # below beta, so its top is not allowed with beta at its top
        assert settings_problem({"yarn_alpha": low, **pair}) is None
    elif name == "yarn_beta":  # above alpha, so its bottom (alpha's too) is not allowed
        assert settings_problem({"yarn_beta": low + 0.5, **pair}) is None
        assert settings_problem({"yarn_beta": low, **pair}) is not None
    else:
        assert settings_problem({name: low, **pair}) is None
    if name != "yarn_alpha":
        assert settings_problem({name: high, **pair}) is None
    for outside in (low - step, high + step):
        problem = settings_problem({name: outside, **pair})
        assert problem is not None and problem.startswith("RIFLEx: ") and name in problem, (outside, problem)


@pytest.mark.parametrize("method", [m for m in METHOD_NAMES if m != "yarn"])
def test_yarn_order_is_checked_for_yarn_only(method):
    # drift bug: the node refused a riflex node whose hidden yarn values were left out of order,
    # while riflex/methods.py and the editor's preview check their order for yarn only
    leftover = {"yarn_alpha": 40.0, "yarn_beta": 32.0}
    assert settings_problem({"method": method, **leftover}) is None
    assert settings_problem({"method": method, **leftover}, flag=True) is None
    problem = settings_problem({"method": "yarn", **leftover})
    assert problem is not None and problem.startswith("RIFLEx: yarn_alpha = 40.0 and yarn_beta = 32.0 must satisfy")
    # each value's own range still holds for every method (ComfyUI leaves it to validate_inputs)
    assert "yarn_beta = 2000.0" in settings_problem({"method": method, "yarn_beta": 2000.0})


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), -float("inf"), "1", None, [1], {"a": 1}, True, 2**70, -(2**70)]
)
@pytest.mark.parametrize("name", sorted(LIMITS))
def test_values_of_the_wrong_kind_are_named(name, value):
    if value is None:  # a linked input during validation: its value is checked when it arrives
        assert settings_problem({name: value}) is None
        problem = settings_problem({name: value}, linked_none=False)
    else:
        problem = settings_problem({name: value})
    assert problem is not None and problem.startswith("RIFLEx: ") and f"{name} = {value!r}" in problem, problem


@pytest.mark.parametrize("value", [{"a": 1}, ["riflex"], 5, None, "", "RIFLEX"])
def test_combo_values_of_the_wrong_kind_name_the_input_and_the_choices(value):
    method = settings_problem({"method": value}, linked_none=False)
    assert method.startswith("RIFLEx: method ") and f"allowed: {', '.join(METHOD_NAMES)}" in method
    axes = settings_problem({"axes": value}, linked_none=False)
    assert axes.startswith("RIFLEx: axes ") and f"allowed: {', '.join(AXES_NAMES)}" in axes


def test_flags_are_named_as_on_the_command_line():
    assert settings_problem({"safety_factor": 2.0}, flag=True).startswith("RIFLEx: --safety-factor 2.0 is outside")
    assert settings_problem({"train_len": 5000}, flag=True).startswith("RIFLEx: --train-len 5000 is not allowed")


ACCEPTED_S = st.one_of(st.just(0.0), st.floats(1.0, LIMITS["s"][1]))


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(METHOD_NAMES),
    family=st.sampled_from(sorted(k for k in FAMILIES if k != "ltxv")),
    s=ACCEPTED_S,
    train_len=st.integers(0, LIMITS["train_len"][1]),
    safety_factor=st.floats(*LIMITS["safety_factor"]),
    yarn=st.tuples(st.floats(*LIMITS["yarn_alpha"]), st.floats(*LIMITS["yarn_beta"])).filter(lambda ab: ab[0] < ab[1]),
    tasr_switch=st.floats(*LIMITS["tasr_switch"]),
    test_len=st.integers(1, 10_000_000),
    schedule=st.floats(0.0, 1.0),
)
def test_every_accepted_value_gives_finite_positive_frequencies(
    method, family, s, train_len, safety_factor, yarn, tasr_switch, test_len, schedule
):
    values = dict(
        method=method,
        s=s,
        train_len=train_len,
        safety_factor=safety_factor,
        yarn_alpha=yarn[0],
        yarn_beta=yarn[1],
        tasr_switch=tasr_switch,
    )
    assert settings_problem(values) is None
    spec = get_family(family).spec(train_len=train_len)
    plan = plan_temporal(
        spec,
        method,
        test_len,
        MethodParams(
            s=s,
            safety_factor=safety_factor,
            yarn_alpha=yarn[0],
            yarn_beta=yarn[1],
            tasr_switch=tasr_switch,
            schedule_fraction=schedule,
        ),
        default_k=get_family(family).default_k,
    )
    after = plan.freqs_after.tolist()
    assert all(math.isfinite(f) and f > 0 for f in after), (values, after)
    assert all(a <= b * (1 + 1e-12) for a, b in zip(after, plan.freqs_before.tolist(), strict=True)) or method == "loop"
