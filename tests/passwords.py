"""Password hashing for the test run: argon2 with tiny parameters.

With the production parameters (pwdlib's recommended argon2id: 64 MiB, 3 passes, 4 lanes) each hash and each check
costs about 0.2 s of CPU, and the suite signs people up, logs them in and changes passwords hundreds of times. The
production hasher is kept here and tested on its own (tests/accounts/test_service.py); the servers the browser tests
start are separate processes and hash with the production parameters.
"""

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.accounts import service as accounts_service

PRODUCTION_PASSWORD_HASHER = accounts_service.password_hasher
CHEAP_PASSWORD_HASHER = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))


def use_cheap_hashing() -> None:
    """Hash and check passwords with tiny parameters for the rest of this process."""
    accounts_service.password_hasher = CHEAP_PASSWORD_HASHER
