"""time series page (placeholder until its issue lands)."""
import streamlit as st

st.title("time series".capitalize())
st.info("This page is being built.")
