"""State that replicas share through Redis (``TOKEN_COUNTER_REDIS_URL``): counts, the rate budget, cool-downs.

Nothing here is required: when Redis is not configured, down, slow or refuses the password, every operation
answers "don't know" at once and the caller uses its own process's state (``breaker``).
"""
