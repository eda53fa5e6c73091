#!/usr/bin/env python3
"""Multiply-add count of one training step (k = 1) of gogan's reference
configurations at a given batch size, counting only the matrix products
(dense layers and convolutions), for NOTES.md's achieved-GFLOP/s figures.

A step is: D pass (G forward; D forward on the real and the fake batch;
D backward on both: weight gradients of every layer, input gradients of
every layer but the first) then G pass (G forward; D forward on the fake
batch; D backward: input gradients of every layer; G backward: weight
gradients of every layer, input gradients of every layer but the first).

    python3 bench/flops.py [batch]
"""
import sys

# MACs per sample of each layer's forward product; the weight gradient and
# the input gradient each cost as much.
MLP_G = [100 * 256, 256 * 512, 512 * 784]
MLP_D = [784 * 512, 512 * 256, 256 * 1]
# DCGAN 28x28: G stem Linear(100, 6272), convT 128->64 7->14, convT 64->1 14->28
# (Cin*Cout*k^2*Hin*Win); D conv 1->64 28->14, conv 64->128 14->7
# (Cout*Hout*Wout*Cin*k^2), Linear(6272, 1).
DC_G = [100 * 6272, 128 * 64 * 16 * 7 * 7, 64 * 1 * 16 * 14 * 14]
DC_D = [64 * 14 * 14 * 1 * 16, 128 * 7 * 7 * 64 * 16, 6272 * 1]


def step_macs(g, d):
    fg, fd = sum(g), sum(d)
    d_pass = fg + 2 * fd + 2 * (fd + (fd - d[0]))
    g_pass = fg + fd + fd + fg + (fg - g[0])
    return d_pass + g_pass


def main():
    batch = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    for name, g, d in (("mlp", MLP_G, MLP_D), ("dcgan", DC_G, DC_D)):
        flops = 2 * batch * step_macs(g, d)
        print(f"{name}: {flops / 1e9:.3f} GFLOP per step at batch {batch}")


if __name__ == "__main__":
    main()
