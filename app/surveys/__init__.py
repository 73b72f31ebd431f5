"""Surveys: a brand's reusable question sets, public answering, responses and their tallies."""
