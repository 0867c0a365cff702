"""The course machinery beside the pipeline: check cells (check.py), exercises released from solutions
(release.py) and the autograder (grade.py)."""
