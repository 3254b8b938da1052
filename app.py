"""RNN Explorer: entry point. `streamlit run app.py` opens the home page and the navigation.

TensorFlow is not imported here, so the home page paints at once; a background
thread imports it and trains a tiny model once (explorer.server.warmup), so the first Train
click does not pay TensorFlow's one-time costs.
"""
import streamlit as st

from ui.entry import start_warmup
from ui.sessions import free_on_close

st.set_page_config(page_title="RNN Explorer", page_icon="🔁", layout="wide")


def home() -> None:
    st.title("🔁 RNN Explorer")
    st.markdown(
        "Pick a recurrent architecture, train a **real Keras model live**, and see what happens "
        "inside it: the loss as it falls, the predictions, the hidden state, and the gradients "
        "flowing back through time. Change a knob and watch it respond. Everything runs on your CPU."
    )
    c1, c2, c3 = st.columns(3)
    with c1:
        st.subheader("📈 Time series")
        st.markdown("SimpleRNN, LSTM or GRU on a sine wave, a stock-like series or your own CSV. "
                    "Forecasts, honest baselines, hidden states.")
        st.page_link(PAGES["time_series"], label="Open time series", icon="📈")
    with c2:
        st.subheader("💬 Sentiment")
        st.markdown("Train on real IMDB movie reviews, then type a review and watch the "
                    "prediction evolve word by word.")
        st.page_link(PAGES["sentiment"], label="Open sentiment", icon="💬")
    with c3:
        st.subheader("🧪 Gradient lab")
        st.markdown("Why LSTMs and GRUs beat plain RNNs on long sequences: vanishing and exploding "
                    "gradients, measured live, and how clipping tames them.")
        st.page_link(PAGES["gradient_lab"], label="Open gradient lab", icon="🧪")
    st.caption("Tip: every page keeps its settings in the URL, so a link reproduces your set-up.")


PAGES = {
    "time_series": st.Page("pages/time_series.py", title="Time series", icon="📈", url_path="time_series"),
    "sentiment": st.Page("pages/sentiment.py", title="Sentiment", icon="💬", url_path="sentiment"),
    "gradient_lab": st.Page("pages/gradient_lab.py", title="Gradient lab", icon="🧪", url_path="gradient_lab"),
}

navigation = st.navigation([st.Page(home, title="Home", icon="🏠", default=True), *PAGES.values()])
start_warmup()
free_on_close()  # a closed tab's session is closed and its memory freed (ui/sessions.py)
navigation.run()
