"""Run the stand-in by hand or from benchmarks and Node-based tools.

    python -m tests.standin --port 8765 [--flavour acedata] [--latency-ms 20] [--key K] [--fault-rate 0.1]

Prints the base URL on one stdout line once the port accepts connections; stops on Ctrl-C / SIGTERM.
"""

import argparse
from collections.abc import Sequence

from tests.standin.config import DEFAULT_KEY, StandinConfig
from tests.standin.faults import FaultPlan, RandomFaults
from tests.standin.log import RequestLog
from tests.standin.runner import make_server


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.standin", description="Stand-in of the Claude counting API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed)")
    parser.add_argument("--flavour", choices=("anthropic", "acedata"), default="anthropic")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added before every reply")
    parser.add_argument("--key", action="append", help=f"accepted credential, repeatable (default {DEFAULT_KEY})")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of count requests given 529/500/drop")
    parser.add_argument("--seed", type=int, default=0, help="seed for --fault-rate")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until interrupted."""
    args = _parse(argv)
    config = StandinConfig(
        flavour=args.flavour,
        keys=frozenset(args.key or [DEFAULT_KEY]),
        latency=args.latency_ms / 1000,
    )
    faults = FaultPlan(latency=config.latency)
    if args.fault_rate > 0:
        faults.random_faults = RandomFaults(rate=args.fault_rate, seed=args.seed)
    host: str = args.host

    def announce(port: int) -> None:
        print(f"http://{host}:{port}", flush=True)

    server = make_server(config, RequestLog(config.flavour), faults, host=host, port=args.port, on_listening=announce)
    server.run()


if __name__ == "__main__":
    main()
