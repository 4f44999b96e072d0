"""The compiled core: the Cython extension ``_engine`` (built ahead of time by setup.py) and ``engine``, which
says whether it is used (``TOKEN_COUNTER_OFFLINE_ENGINE``) and names it for the start-up line and --version."""
