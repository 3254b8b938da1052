"""The gradient lab's run as a plain Keras script: the long-memory task, one model per cell, training, the
held-out score against chance, and ‖∂L/∂h_t‖ measured with `tf.GradientTape` on the cell unrolled by hand.

`lab_script(cfg, archs)` writes it from the run's `LabConfig` and its cells, through the same
`explorer.tasks.lab.config.model_config` / `train_config` the lab trains with.
"""
from __future__ import annotations

from explorer.data.memory_tasks import TASK_LABELS
from explorer.export import model_code
from explorer.export.script import Script, constants
from explorer.tasks.lab.config import HELD_OUT, PROBE_BATCH, LabConfig, model_config, train_config

TASK_CODE = {
    "lag_recall": ("lag_recall", '''\
def balanced_signs(rng, n):
    """Exactly half +1 and half −1 (one more +1 when n is odd), shuffled: chance is 0.5."""
    return rng.permutation(np.where(np.arange(n) < (n + 1) // 2, 1.0, -1.0))


def lag_recall(n, seed):
    """Recall the sign of the value marked T − 5 steps before the end. Channel 0: N(0, 1) values at every step
    (all distractors but one); channel 1 marks the decisive one. Returns x (n, T, 2) and y (n, 1)."""
    rng = np.random.default_rng(seed)
    values = rng.normal(0.0, 1.0, size=(n, T))
    values[:, DECISIVE] = balanced_signs(rng, n) * (0.5 + rng.uniform(0.0, 1.0, size=n))
    marks = np.zeros((n, T))
    marks[:, DECISIVE] = 1.0
    x = np.stack([values, marks], axis=-1).astype("float32")
    return x, (values[:, DECISIVE] > 0)[:, None].astype("float32")''', "DECISIVE = 4  # the marked input, T − 5 steps before the last (0-based index)"),
    "first_value": ("first_value", '''\
def first_value(n, seed):
    """The first of T inputs is ±1 and decides the answer (1 when positive); the other T − 1 are noise (σ = 0.5)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.5, size=(n, T, 1))
    x[:, 0, 0] = rng.permutation(np.where(np.arange(n) < (n + 1) // 2, 1.0, -1.0))
    return x.astype("float32"), (x[:, 0, :] > 0).astype("float32")''', "DECISIVE = 0  # the input that decides the answer"),
    "adding": ("adding", '''\
def adding(n, seed):
    """The adding problem (Hochreiter & Schmidhuber, 1997): channel 0 holds U(0, 1) values, channel 1 marks one
    position in each half; the answer is the sum of the two marked values."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, T))
    half = max(1, T // 2)
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, T, size=n) if T > half else first
    second = np.where(second == first, (first + 1) % T, second)
    marks = np.zeros((n, T))
    rows = np.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    x = np.stack([values, marks], axis=-1).astype("float32")
    return x, (values[rows, first] + values[rows, second])[:, None].astype("float32")''',
               "DECISIVE = None  # the first marked input: anywhere in the first half"),
}

GRADIENT_CODE = '''\
def gradient_through_time(model, x, y):
    """‖∂L/∂h_t‖ for t = 1 … T: the trained cell unrolled by hand, each hidden state h_t kept on the tape.

    The gradient is the total one, through every later step, as backpropagation through time computes it;
    the norm is over the batch and the units. Keras' loss averages over the batch, as in training."""
    rnn, head = model.layers[0], model.layers[-1]
    x = tf.constant(x)
    states = [tf.zeros((x.shape[0], size)) for size in np.atleast_1d(rnn.cell.state_size)]  # LSTM: [h, c]
    hidden = []
    with tf.GradientTape() as tape:
        for t in range(x.shape[1]):
            _, states = rnn.cell(x[:, t], states)
            states = list(states)
            hidden.append(states[0])  # h_t
        loss = LOSS(y, head(states[0]))
    grads = tape.gradient(loss, hidden)
    return np.array([float(tf.norm(g)) for g in grads])'''


def lab_script(cfg: LabConfig, archs: list[str]) -> Script:
    """The script of a lab run: every cell in `archs` trained with `cfg` on the same data and seed."""
    from explorer.data.memory_tasks import make_task

    task = make_task(cfg.task, 2, cfg.T, seed=cfg.train.seed)  # what it needs: head, metric, lag (two tiny samples)
    head = task.head
    binary = head == "binary"
    func, generator, decisive = TASK_CODE[cfg.task]
    script = Script(f"{', '.join(archs)} side by side on “{TASK_LABELS[cfg.task]}”: an RNN Explorer gradient-lab run",
                    f"The same data, seed and settings for every cell; the answer depends on an input up to {task.lag} "
                    "steps before the loss. Each cell is scored on fresh sequences against chance, and the gradient "
                    "that reaches each step back in time, ‖∂L/∂h_t‖, is measured on the trained cell.",
                    file_stem="rnn_explorer_gradient_lab")
    models = {a: model_config(cfg, a, head) for a in archs}
    trains = {a: train_config(cfg, arch=a) for a in archs}
    train = trains[archs[0]]
    settings = [("", None, "the task"), ("T", cfg.T, "steps per sequence"), ("SAMPLES", cfg.samples, "training sequences"),
                ("HELD_OUT", HELD_OUT, "fresh sequences scored after every epoch"), ("", None, ""),
                ("CELLS", list(archs), "trained one after the other, each on the same data and seed"),
                *model_code.model_constants(models[archs[0]], train)]
    if cfg.train.jit_compile and any(a != "SimpleRNN" for a in archs):
        settings.insert(-1, ("XLA_FOR_GATED_CELLS", True, "compile LSTM and GRU training steps with XLA (faster on a CPU)"))
    script.add("Settings", "This run's settings; change them and run again.",
               "import keras\nimport numpy as np\nimport pandas as pd\nimport tensorflow as tf\n\n" + constants(settings))
    script.add("The task", task.description.split(";")[0].rstrip(".") + ". " +
               ("Chance (always answering the same) scores 0.5." if binary else
                "Predicting the mean scores the variance of the answers."),
               f"{decisive}\n\n\n{generator}\n\n\n"
               f"x_train, y_train = {func}(SAMPLES, seed=SEED)\n"
               f"x_held, y_held = {func}(HELD_OUT, seed=SEED + 7919)  # other sequences of the same task\n"
               + ("chance = max(y_held.mean(), 1 - y_held.mean())" if binary else "chance = y_held.var()"))
    helpers = []
    gated = [a for a in archs if a != "SimpleRNN"]
    if cfg.model.gate_init == "chrono" and gated:
        helpers.append("T_MAX = T  # the longest memory the gates start with (steps)")
        helpers += [model_code.chrono_code(a) for a in gated]
    branches = []
    for i, a in enumerate(archs):
        args = model_code.cell_args(models[a])
        branches.append(f"    {'if' if i == 0 else 'elif'} cell == {a!r}:\n        rnn = keras.layers.{a}({', '.join(args)})")
    if len(archs) == 1:
        branches = [f"    rnn = keras.layers.{archs[0]}({', '.join(model_code.cell_args(models[archs[0]]))})"]
    loss, metrics = ("binary_crossentropy", ["accuracy"]) if binary else ("mse", ["mae"])
    xla = "jit_compile=XLA_FOR_GATED_CELLS and cell != 'SimpleRNN'" if any(t.jit_compile for t in trains.values()) else ""
    compile_line = model_code.compile_code(train, loss, metrics, jit_compile=False)
    if xla:
        compile_line = compile_line[:-1] + f",\n              {xla})"
    build = ("\n\n\n".join(helpers) + "\n\n\n" if helpers else "") + (
        "def build(cell):\n"
        '    """One model per cell: the recurrent layer (its state h_t is what the gradient below is measured on), then\n'
        '    one output read from the last state."""\n'
        "    keras.utils.set_random_seed(SEED)\n" + "\n".join(branches) + "\n"
        "    output = keras.layers.Dense(1" + (", activation='sigmoid'" if binary else "") + ")\n"
        "    model = keras.Sequential([keras.Input(shape=(T, x_train.shape[2])), rnn, output])\n" +
        "\n".join("    " + line for line in compile_line.split("\n")) + "\n    return model")
    script.add("The models", "The same layers as the lab's: one recurrent layer, then one output.", build)
    script.add("Train each cell", "On the training sequences; the held-out ones are scored after every epoch.",
               "models, histories, held_out = {}, {}, {}\n"
               "for cell in CELLS:\n"
               "    models[cell] = build(cell)\n"
               "    history = models[cell].fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS,\n"
               "                               validation_data=(x_held, y_held), shuffle=True, verbose=2)\n"
               "    histories[cell] = history.history\n"
               f"    held_out[cell] = history.history[{'val_accuracy' if binary else 'val_loss'!r}][-1]\n"
               f"print(pd.Series(held_out, name={'held-out accuracy' if binary else 'held-out MSE'!r}), "
               f"f'chance: {{chance:.3f}}')")
    script.add("‖∂L/∂h_t‖ through time",
               "How strongly the loss depends on each hidden state: where it fades towards the early steps, the input "
               "that decides the answer gets no learning signal (the vanishing gradient). Measured here in float32, "
               "which flushes gradients below ~1e-38 to 0; the app measures in float64.",
               f"LOSS = keras.losses.{'BinaryCrossentropy' if binary else 'MeanSquaredError'}()  # the training loss\n\n\n"
               f"{GRADIENT_CODE}\n\n\n"
               f"gradients = {{cell: gradient_through_time(model, x_train[:{PROBE_BATCH}], y_train[:{PROBE_BATCH}])\n"
               "             for cell, model in models.items()}\n"
               "for cell, norms in gradients.items():\n"
               + ("    print(f'{cell}: ‖∂L/∂h_t‖ at the decisive step / at the loss = {norms[DECISIVE] / norms[-1]:.3g}')"
                  if decisive.split(" = ")[1].split()[0] != "None" else
                  "    print(f'{cell}: ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ = {norms[0] / norms[-1]:.3g}')"))
    script.add("The curves", "The held-out score per epoch of each cell, and the gradient through time after training.",
               f"scores = pd.DataFrame({{cell: h[{'val_accuracy' if binary else 'val_loss'!r}] for cell, h in "
               "histories.items()})\n"
               "scores.index = scores.index + 1\n"
               f"ax = scores.plot(xlabel='epoch', ylabel={'held-out accuracy' if binary else 'held-out MSE'!r}, "
               "title='Held-out score')\n"
               "ax.figure.savefig('held_out.png')\n"
               "norms = pd.DataFrame(gradients, index=np.arange(1, T + 1))\n"
               "ax = norms.plot(logy=True, xlabel='t', ylabel='‖∂L/∂h_t‖', title='Gradient through time')\n"
               "ax.figure.savefig('gradient_through_time.png')")
    return script
