"""The engine: plans, runs jobs through an executor, and owns a run's lifecycle."""
