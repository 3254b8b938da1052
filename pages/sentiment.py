"""sentiment page (placeholder until its issue lands)."""
import streamlit as st

st.title("sentiment".capitalize())
st.info("This page is being built.")
