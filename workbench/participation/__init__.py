"""Co-design workshops: specs, join tokens, participants and feedback.

The service classes here are what the CLI, the server extension, the app server and the
feedback widgets all call; none of them talks to the database directly.
"""
