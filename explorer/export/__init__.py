"""Floor 8, export: a run as a plain Keras script and notebook that reproduces it (the "Take it home" code on
every page).

One generator per run kind, each reading the run's own config objects (never a second copy of the
defaults): `series_code.series_script` (time series), `sentiment_code.sentiment_script` (IMDB and labelled
texts), `lab_code.lab_script` (the gradient lab). Each returns a `script.Script`: readable sections of
code with the prose a tutorial would have, written out as a `.py` file or a Jupyter notebook. The
scripts import keras, numpy and pandas (and the standard library), never this project.
"""
