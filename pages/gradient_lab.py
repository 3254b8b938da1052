"""gradient lab page (placeholder until its issue lands)."""
import streamlit as st

st.title("gradient lab".capitalize())
st.info("This page is being built.")
