"""A stand-in for a training script: Hydra-style key=value arguments, progress, a result.

It "trains" for a few steps on a made-up loss curve, printing progress like a real
training loop, and reports its loss at every step in the line format snaptui collects:
the last value is the job's result, the series its learning curve (`p` in the TUI).
"""
import math
import random
import sys
import time


def parse(argv):
    args = {"lr": 0.01, "seed": 0, "steps": 20, "step_s": 0.1}
    for item in argv:
        key, _, value = item.partition("=")
        args[key] = type(args.get(key, ""))(value) if key in args else value
    return args


def main():
    args = parse(sys.argv[1:])
    rng = random.Random(args["seed"])
    loss = 2.5
    floor = 0.05 + 0.3 * abs(math.log10(args["lr"] / 0.03))  # best near lr=0.03
    for step in range(1, args["steps"] + 1):
        rate = min(args["lr"] * 5, 0.5) * (0.8 + 0.4 * rng.random())
        loss = floor + (loss - floor) * (1 - rate)
        print(f"step {step:3d}/{args['steps']}  loss {loss:.4f}", flush=True)
        print(f"SNAPTUI_RESULT step={step} loss={loss:.4f}", flush=True)
        time.sleep(args["step_s"])
    if loss != loss or loss > 100:
        print("diverged", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
