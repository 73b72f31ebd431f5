from tests.committed_database import committed_engine, worker_engine

__all__ = ["committed_engine", "worker_engine"]
