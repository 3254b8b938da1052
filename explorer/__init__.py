"""RNN Explorer's engine: data, models, training, introspection and figures.

Never imports streamlit, so every part works from tests, notebooks and scripts.
TensorFlow is imported only by the modules that need it (models, training,
introspect), so importing `explorer` itself is cheap.
"""
