"""Reading job logs of any size: a line index over a growing file, and tails."""
