"""Rendering for people and programs: summaries, JSON, progress and reports. click is allowed
here and in cli only; the library layers never print."""
