"""The gradient lab's claims table: each preset (seed 0) and a few more set-ups in, the cause per cell out.

`check(name)` drives the page as a person would (the set-up's link, Train) and reads its conclusion:
each cell's line must name the expected cause, and no other. Two test files share the table, so the
suite's workers train its set-ups side by side (tests/test_lab_claims_*.py). The causes are the ones these very runs
measured (see explorer/tasks/lab/verdict.py): where a cause changes, the run itself changed, and the
table must be checked against the new numbers, not loosened.
"""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from alerts import DIVERGED, expect_error
from conftest import ROOT
from jobs_at import press, shown
from explorer.nn import config
from explorer.tasks.lab.config import LabConfig, with_fields
from explorer.tasks.lab.verdict import REACHED, clipped_steps
from ui import knobs as K

PAGE = str(ROOT / "pages/gradient_lab.py")

# The words that name each cause on the page; a line names exactly one of them.
CAUSE_WORDS = {
    "learned": "learned it (",
    "diverged": "diverged: its loss left every bound",
    "exploding": "exploding gradients",
    "gate_memory": "with Keras' default gate biases",
    "vanishing": "it vanished",
    "optimizer": "made no headway",
    "budget": "were not enough",
}
STANDING_WORDS = {"learned": "learned it (", "partly": "rose above chance", "chance": "stayed at chance",
                  "worse": "did worse than chance", "diverged": "diverged"}

PRESET = {key: cfg for key, (_, cfg) in K.LAB_PRESETS.items()}
# set-up -> {cell: (standing, cause)}, measured at seed 0 on the lab's own 2,048 training and 512 held-out sequences.
CLAIMS = {
    # ① lag 100, chrono gates: the gated cells learn; SimpleRNN's gradient at the decisive input is ~10^-16.
    "memory": (PRESET["memory"], {"SimpleRNN": ("partly", "vanishing"), "LSTM": ("learned", "learned"),
                                  "GRU": ("learned", "learned")}),
    # ② the same with Keras' gate biases: f ≈ 0.73 and z ≈ 0.50 start with a memory of ~4 and ~2 steps.
    "keras": (PRESET["keras"], {"SimpleRNN": ("partly", "vanishing"), "LSTM": ("chance", "gate_memory"),
                                "GRU": ("chance", "gate_memory")}),
    # ③ ReLU, W_hh = 1.05 I, SGD 0.1: SimpleRNN's loss leaves every bound. The LSTM's gradient at the decisive
    # input is 10^-3.3 (vanished, just); the GRU's reaches it (10^-0.7) but SGD's training stalls at chance.
    "explode": (PRESET["explode"], {"SimpleRNN": ("diverged", "diverged"), "LSTM": ("chance", "vanishing"),
                                    "GRU": ("chance", "optimizer")}),
    # ④ the same clipped at 0.1: every step finite, but ρ = 1.05 still grows the state: worse than chance.
    "clip": (PRESET["clip"], {"SimpleRNN": ("worse", "exploding"), "LSTM": ("chance", "vanishing"),
                              "GRU": ("chance", "optimizer")}),
    # A scale of 1.2 without clipping does not explode a tanh RNN: saturation shrinks the slope, it vanishes.
    "scale 1.2, no clipping": (with_fields(LabConfig(), recurrent_scale=1.2, clipnorm=0.0),
                               {"SimpleRNN": ("chance", "vanishing"), "LSTM": ("learned", "learned"),
                                "GRU": ("learned", "learned")}),
    # Lag 20 with Keras' gates: within reach of SimpleRNN and the LSTM's f ≈ 0.73, beyond the GRU's z ≈ 0.50.
    "lag 20, Keras gates": (with_fields(LabConfig(), T=25, gate_init="keras"),
                            {"SimpleRNN": ("learned", "learned"), "LSTM": ("learned", "learned"),
                             "GRU": ("chance", "gate_memory")}),
}


def _lines(at: AppTest) -> dict[str, str]:
    text = "\n".join(i.value for i in at.info if "What this run measured" in i.value)
    return {line.split()[1]: line for line in text.splitlines() if line.startswith("- ")}


def check(name: str) -> None:
    """Train the set-up `name` of CLAIMS on the page; fail on any cell whose conclusion names another cause."""
    cfg, expected = CLAIMS[name]
    at = AppTest.from_file(PAGE, default_timeout=600)
    at.query_params.update(config.to_query(cfg, "gl_"))
    at.run()
    diverges = any(cause == "diverged" for _, cause in expected.values())
    with expect_error(*([DIVERGED] if diverges else [])):
        press(at, "gl_train")
    assert not at.exception
    lab = shown(at, "gl").result
    assert lab.cfg == cfg  # the run trained the set-up of the link
    lines = _lines(at)
    assert list(lines) == list(expected), lines
    for arch, (standing, cause) in expected.items():
        line, r = lines[arch], lab.results[arch]
        if cause == "vanishing" and REACHED / 3 < r.reach < 3 * REACHED:
            # Within a factor 3 of the line, another CPU's rounding can put the gradient on its other side:
            # then the cause must follow the number this run measured.
            cause = "vanishing" if r.reach < REACHED else "optimizer"
        named = {c for c, words in CAUSE_WORDS.items() if words in line}
        assert named == {cause}, (arch, cause, line)
        assert STANDING_WORDS[standing] in line, (arch, standing, line)
        # Clipping is named only where it acted, with how often.
        acted = clipped_steps(lab.results[arch], cfg.train.clipnorm)
        if acted:
            assert f"Clipping acted on {acted} of " in line, line
        else:
            assert "Clipping acted" not in line and "clipping tamed" not in line.lower(), line
