"""The sentiment run as a plain Keras script: the reviews, the same subset and validation hold-out, the
vocabulary, the model, training and the test accuracy against the majority class.

`sentiment_script(setup, source)` writes it from the run's `Setup` (as trained: the fitted vocabulary's
size, XLA as used) and `ReviewSource` (where the reviews came from and how validation was held out).
"""
from __future__ import annotations

from explorer.data.csv_series import safe_name
from explorer.data.imdb import ARCHIVE, BLOCK, URL
from explorer.export import model_code
from explorer.export.script import Script, constants
from explorer.nn.word_vectors import CONTEXTS, START_SD, WINDOW
from explorer.tasks.sentiment.origin import ACLIMDB, ReviewSource
from explorer.tasks.sentiment.presets import Setup

READ_ACLIMDB = '''\
def read_imdb(path, with_movies=False):
    """Every review of aclImdb as (split, label, id, text), label 1 = positive, from the folder or the .tar.gz
    (without unpacking it); with_movies also returns each review's movie (its IMDB address, urls_*.txt)."""
    review = re.compile(r"(?:^|/)(train|test)/(pos|neg)/(\\d+)_\\d+\\.txt$")
    movies = re.compile(r"(?:^|/)(train|test)/urls_(pos|neg)\\.txt$")
    rows, urls = [], {}
    if os.path.isdir(path):
        files = ((f.as_posix(), f.read_bytes) for f in pathlib.Path(path).rglob("*.txt"))
    else:
        tar = tarfile.open(path, "r:gz")
        files = ((m.name, lambda m=m: tar.extractfile(m).read()) for m in tar if m.isfile())
    for name, read in files:
        if found := review.search(name):
            split, label, number = found.groups()
            rows.append((split, int(label == "pos"), int(number), read().decode("utf-8", errors="replace")))
        elif with_movies and (found := movies.search(name)):
            urls[found.groups()] = read().decode("utf-8", errors="replace").splitlines()
    return (rows, urls) if with_movies else rows


def part(rows, split):
    """One split's texts, labels and ids, ordered by label, then id."""
    chosen = sorted((label, number, text) for s, label, number, text in rows if s == split)
    return [t for _, _, t in chosen], np.array([l for l, _, _ in chosen]), np.array([n for _, n, _ in chosen])'''

STRATIFIED = '''\
def stratified(labels, n, seed):
    """Sorted indices of n items keeping each label's share, drawn with `seed` (all when n is None or larger)."""
    if n is None or n >= len(labels):
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.floor(counts * n / len(labels)).astype(int)
    order = np.argsort(-(counts * n / len(labels) - quota), kind="stable")
    quota[order[:n - quota.sum()]] += 1  # the rounding remainder goes to the largest fractions
    picked = [rng.choice(np.flatnonzero(labels == c), size=q, replace=False) for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(picked))'''

VALIDATION = {
    "id-blocks": (
        f"aclImdb numbers a movie's reviews together, so validation takes blocks of {BLOCK} neighbouring review ids "
        "(per label): few movies straddle the split. This copy's validation is not grouped by movie, so it may read "
        "optimistic.",
        f'''\
rng = np.random.default_rng(DATA_SEED + 7)
quota = np.bincount(train_labels[stratified(train_labels, n_val, DATA_SEED + 7)], minlength=2)
val = []
for label, q in enumerate(quota):
    members = np.flatnonzero(train_labels == label)
    members = members[np.argsort(train_ids[members], kind="stable")]
    blocks = [members[i:i + {BLOCK}] for i in range(0, len(members), {BLOCK})]
    val.append(np.concatenate([blocks[b] for b in rng.permutation(len(blocks))])[:q])
val = np.sort(np.concatenate(val))'''),
    "movie": (
        "Validation reviews are grouped by movie (aclImdb's urls_*.txt): no movie has reviews on both sides, as with "
        "the test set.",
        '''\
rng = np.random.default_rng(DATA_SEED + 7)
names, codes = np.unique(train_movies, return_inverse=True)
order = rng.permutation(len(names))
picked = order[:np.searchsorted(np.cumsum(np.bincount(codes, minlength=len(names))[order]), n_val) + 1]
val = np.flatnonzero(np.isin(codes, picked))'''),
    "random": (
        "These texts say nothing about movies, so validation reviews are held out at random (stratified by label): it "
        "may read optimistic compared with a test set of other movies.",
        "val = stratified(train_labels, n_val, DATA_SEED + 7)"),
}

COOCCURRENCE = f'''\
def cooccurrence_vectors(ids, vocabulary, dim, contexts={CONTEXTS}, window={WINDOW}):
    """Word vectors from which words occur near which in the training reviews (no labels read): each word's
    neighbours within `window` words counted (closer ones weigh more), turned into positive pointwise mutual
    information, and its top `dim` singular directions kept (Levy, Goldberg & Dagan, 2015)."""
    contexts = min(contexts, vocabulary)
    counts = np.zeros((vocabulary, contexts), np.float32)
    for d in range(1, window + 1):  # pairs d words apart in a review; ids 0 and 1 (padding, unknown) are no words
        left, right = ids[:, :-d].ravel(), ids[:, d:].ravel()
        for word, context in ((left, right), (right, left)):
            keep = (word >= 2) & (context >= 2) & (context < contexts)
            np.add.at(counts, (word[keep], context[keep]), np.float32(1 / d))
    total = counts.sum(dtype=np.float64)
    rows = counts.sum(axis=1, keepdims=True, dtype=np.float64)
    cols = counts.sum(axis=0, keepdims=True, dtype=np.float64) ** 0.75  # rare contexts smoothed
    cols *= total / cols.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        ppmi = np.maximum(np.log(counts * total / (rows * cols)), 0).astype(np.float32)
    ppmi[counts == 0] = 0
    # The top singular directions, by a randomised SVD (Halko et al., 2011): U·√Σ
    rng = np.random.default_rng(0)
    y = ppmi @ rng.standard_normal((contexts, dim + 16)).astype(np.float32)
    for _ in range(2):
        y = ppmi @ (ppmi.T @ np.linalg.qr(y)[0])
    q = np.linalg.qr(y)[0]
    u, s, _ = np.linalg.svd(q.T @ ppmi, full_matrices=False)
    vectors = (q @ u[:, :dim]) * np.sqrt(s[:dim])
    return vectors * ({START_SD:.6g} / vectors[2:].std())  # 6× the spread of Keras' own start'''


def _reviews_code(source: ReviewSource) -> tuple[list, str, str]:
    """(settings rows, prose, code) that read the reviews into train_texts/labels/ids and test_texts/labels."""
    if source.kind == ACLIMDB:
        movies = source.grouping == "movie"
        code = (f"URL = {URL!r}\n"
                "# A local copy: the aclImdb folder or aclImdb_v1.tar.gz (as RNN Explorer's RNN_EXPLORER_IMDB); else the\n"
                "# original archive is downloaded once (84 MB) and kept in ~/.keras/datasets.\n"
                "IMDB_PATH = os.environ.get('RNN_EXPLORER_IMDB', '')\n\n\n"
                f"{READ_ACLIMDB}\n\n\n"
                f"path = IMDB_PATH or keras.utils.get_file({ARCHIVE!r}, URL)\n"
                + ("rows, urls = read_imdb(path, with_movies=True)\n" if movies else "rows = read_imdb(path)\n") +
                "train_texts, train_labels, train_ids = part(rows, 'train')\n"
                "test_texts, test_labels, test_ids = part(rows, 'test')\n"
                + ("train_movies = np.array([urls[('train', 'pos' if l else 'neg')][n].strip() for l, n in "
                   "zip(train_labels, train_ids)])\n" if movies else "") +
                "print(f'{len(train_texts):,} training and {len(test_texts):,} test reviews')")
        return [], ("The Large Movie Review Dataset (Maas et al., 2011) as raw texts: the same texts the app trained on "
                    "(not keras.datasets.imdb's ids, whose tokenizer cannot read a new review)."), code
    labels = ("{'0': 0, '1': 1, 'neg': 0, 'pos': 1, 'negative': 0, 'positive': 1,\n"
              "          'false': 0, 'true': 1, '0.0': 0, '1.0': 1}")
    split = (f"is_test = raw[{source.split_column!r}].fillna('').str.strip().str.lower().to_numpy() == 'test'\n"
             "test = np.flatnonzero(is_test)\ntrain = np.flatnonzero(~is_test)"
             if source.split_column else
             "test = stratified(labels, round(len(labels) * 0.2), 0)  # a fifth of the texts, stratified\n"
             "train = np.setdiff1d(np.arange(len(labels)), test)")
    columns = [source.text_column, source.label_column] + ([source.split_column] if source.split_column else [])
    code = (f"{STRATIFIED}\n\n\n"
            f"CSV_PATH = {source.file_name!r}  # your CSV of labelled texts; put it next to this script\n"
            f"raw = pd.read_csv(CSV_PATH, dtype=str, usecols={columns!r})\n"
            f"LABELS = {labels}  # label words → 1 positive, 0 negative\n"
            f"labels = raw[{source.label_column!r}].str.strip().str.lower().map(LABELS).to_numpy(dtype=int)\n"
            f"texts = raw[{source.text_column!r}].fillna('').astype(str).tolist()\n"
            f"{split}\n"
            "train_texts, train_labels, train_ids = [texts[i] for i in train], labels[train], None\n"
            "test_texts, test_labels = [texts[i] for i in test], labels[test]")
    return [], (f"Your labelled texts: the column “{safe_name(source.text_column)}” and its label "
                f"“{safe_name(source.label_column)}”."), code


def sentiment_script(setup: Setup, source: ReviewSource = ReviewSource()) -> Script:
    """The script of a sentiment run: `setup` as it trained (vocabulary size fitted, XLA as used)."""
    text, model, train, data = setup.text, setup.model, setup.train, setup.data
    masked = bool(text.mask and model.mask_zero)
    what = "IMDB reviews" if source.kind == ACLIMDB else "labelled texts"
    cell = f"{'bidirectional ' if model.bidirectional else ''}{model.cell}({model.units})"
    script = Script(f"{cell} reading {what}: an RNN Explorer sentiment run",
                    f"A {cell} reads up to {text.max_len} words of each review as ids of a {text.vocab_size:,}-word "
                    "vocabulary and says whether it is positive; it is tested once on reviews it never saw, against "
                    "always answering the more common label.", file_stem="rnn_explorer_sentiment")
    rows, prose, reviews = _reviews_code(source)
    pad = "pre" if text.padding == "front" else "post"
    settings = [("", None, "the reviews"),
                ("N_TRAIN", data.n_train, "training reviews used (a stratified subset), validation held out of them"),
                ("N_TEST", data.n_test, "test reviews scored"),
                ("VAL_FRACTION", data.val_fraction, ""), ("DATA_SEED", data.seed, "which subset"), *rows,
                ("", None, ""), ("", None, "words to ids"),
                ("VOCAB_SIZE", text.vocab_size, "the most frequent words of the training reviews"),
                ("MAX_LEN", text.max_len, "words read per review: longer ones are cut, shorter ones padded with 0"),
                ("PADDING", pad, "'pre': zeros before the words, a long review keeps its end; 'post': after"),
                ("", None, ""),
                *model_code.model_constants(model, train, text=True)]
    script.add("Settings", "This run's settings; change them and run again.",
               "import os\nimport pathlib\nimport re\nimport tarfile\n\nimport keras\nimport numpy as np\n"
               "import pandas as pd\n\n" + constants(settings))
    script.add("The reviews", prose, reviews)
    why, code = VALIDATION[source.grouping]
    script.add("The reviews this run used", "A stratified, seeded subset of each split (the same reviews as the app's "
               f"run), and validation reviews held out of the training ones. {why}",
               (f"{STRATIFIED}\n\n\n" if source.kind == ACLIMDB else "") +
               "keep = stratified(train_labels, N_TRAIN, DATA_SEED)\n"
               "train_texts, train_labels = [train_texts[i] for i in keep], train_labels[keep]\n"
               + ("train_ids = train_ids[keep]\n" if source.kind == ACLIMDB else "")
               + ("train_movies = train_movies[keep]\n" if source.grouping == "movie" else "") +
               "keep = stratified(test_labels, N_TEST, DATA_SEED + 1)\n"
               "test_texts, test_labels = [test_texts[i] for i in keep], test_labels[keep]\n"
               "n_val = max(1, round(len(train_labels) * VAL_FRACTION))\n"
               f"{code}\n"
               "train = np.setdiff1d(np.arange(len(train_labels)), val)\n"
               "val_texts, val_labels = [train_texts[i] for i in val], train_labels[val]\n"
               "train_texts, train_labels = [train_texts[i] for i in train], train_labels[train]\n"
               "print(f'{len(train_texts):,} training, {len(val_texts):,} validation and {len(test_texts):,} test reviews')")
    script.add("Words to ids",
               "One vocabulary, built from the training reviews only, encodes every review (and any review you type). "
               "Id 0 is padding, 1 an unknown word, then the words by frequency.",
               "def clean(texts):\n"
               '    """HTML line breaks become spaces; TextVectorization then lower-cases and strips punctuation."""\n'
               "    return [re.sub(r'<\\s*br\\s*/?\\s*>', ' ', t, flags=re.IGNORECASE) for t in texts]\n\n\n"
               "vectorize = keras.layers.TextVectorization(max_tokens=VOCAB_SIZE, ragged=True)\n"
               "vectorize.adapt(clean(train_texts), batch_size=1024)\n"
               "vocabulary_size = vectorize.vocabulary_size()\n\n\n"
               "def encode(texts):\n"
               "    ids = vectorize(clean(texts)).to_list()\n"
               "    return keras.utils.pad_sequences(ids, maxlen=MAX_LEN, padding=PADDING, truncating=PADDING)\n\n\n"
               "x_train, x_val, x_test = encode(train_texts), encode(val_texts), encode(test_texts)\n"
               "y_train = np.asarray(train_labels, dtype='float32')\n"
               "y_val = np.asarray(val_labels, dtype='float32')\n"
               "y_test = np.asarray(test_labels, dtype='float32')")
    if model.embedding_init == "cooccurrence":
        script.add("Word vectors from co-occurrence",
                   "The embedding starts from vectors built from the training reviews' words alone, so a rare word "
                   "starts next to the words it is used like (“atrocious” next to “awful”); it trains further with "
                   "the rest.",
                   f"{COOCCURRENCE}\n\n\nstart_vectors = cooccurrence_vectors(x_train, vocabulary_size, EMBEDDING_DIM)")
    helpers = model_code.helpers_code(model, "MAX_LEN", masked)
    layers = ["    keras.Input(shape=(" + ("None" if masked else "MAX_LEN") + ",), dtype='int32'),",
              "    keras.layers.Embedding(vocabulary_size, EMBEDDING_DIM" + (", mask_zero=True" if masked else "") + "),"]
    if model.word_dropout:
        layers.append("    keras.layers.Dropout(WORD_DROPOUT, noise_shape=(None, None, 1)),  # whole words: one coin a word")
    layers += model_code.recurrent_lines(model) + model_code.readout_lines(model, masked)
    if model.head_dropout:
        layers.append("    keras.layers.Dropout(HEAD_DROPOUT),")
    layers.append("    keras.layers.Dense(1, activation='sigmoid'),")
    start = ""
    if model.embedding_init == "cooccurrence":
        start = ("embedding = model.layers[0]\n"
                 "weights = embedding.get_weights()[0]\n"
                 "weights[2:] = start_vectors[2:]  # padding and unknown words keep Keras' start\n"
                 "embedding.set_weights([weights])\n")
    steps = "int(np.ceil(len(x_train) / BATCH_SIZE))"
    script.add("The model", "The same layers as the run in the app." + (
        " Padding is masked: the recurrent layers skip it, so a review reads the same padded to any length."
        if masked else ""),
               (helpers + "\n\n\n" if helpers else "") + "keras.utils.set_random_seed(SEED)\n"
               "model = keras.Sequential([\n" + "\n".join(layers) + "\n])\n" + start +
               model_code.compile_code(train, "binary_crossentropy", ["accuracy"], steps) + "\nmodel.summary()")
    from explorer.data.buckets import parts_for

    how = ""
    if masked:
        how = ("The app trains a masked model on batches of reviews of similar length, cut short (fewer steps, the "
               "same model); here every batch is padded to MAX_LEN.")
    if parts_for(train.batch_size, masked) > 1:
        how += (" It also computes batches of long reviews in two halves whose gradients it averages (the same "
                "update, with less memory).")
    script.add("Train", how, model_code.callbacks_code(train) + "\n"
               "history = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, validation_data=(x_val, "
               "y_val),\n                    shuffle=True, callbacks=callbacks, verbose=2)")
    script.add("Test", "Scored once on the test reviews, against always answering the label most training reviews have.",
               "test_accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)[1]\n"
               "majority_accuracy = np.mean(y_test == round(float(y_train.mean())))\n"
               "print(f'Test accuracy {test_accuracy:.4f} on {len(y_test):,} reviews')\n"
               "print(f'Always the majority label: {majority_accuracy:.4f}')")
    script.add("The curves", "Loss and accuracy per epoch, on the training and the validation reviews.",
               "curves = pd.DataFrame(history.history)\n"
               "curves.index = curves.index + 1\n"
               "ax = curves[['loss', 'val_loss', 'accuracy', 'val_accuracy']].plot(xlabel='epoch', title='Loss and accuracy')\n"
               "ax.figure.savefig('curves.png')")
    return script
