#!/usr/bin/env python3
"""PyTorch peer of cmd/ganbench: trains gogan's two reference GAN
configurations with the same networks, the same step and the same data
shape, and prints the same measurements.

    /usr/bin/python3 bench/pytorch/bench.py --configs mlp,dcgan --threads 2 --json

Networks (float32, CPU), as models.ReferenceMLP and models.ReferenceDCGAN:

  mlp    G 100→256→512→784, LeakyReLU(0.2), tanh, reshaped to [1 28 28];
         D 784→512→256→1, LeakyReLU(0.2), logits. Glorot-uniform weights,
         zero biases; every Linear has a bias.
  dcgan  G z(100) → Linear(100, 128·7·7) (bias) → reshape [128 7 7] → BN →
         ReLU → ConvTranspose2d(128→64, k4 s2 p1, no bias) → BN → ReLU →
         ConvTranspose2d(64→1, k4 s2 p1, bias) → tanh;
         D Conv2d(1→64, k4 s2 p1, bias) → LeakyReLU(0.2) →
         Conv2d(64→128, k4 s2 p1, no bias) → BN → LeakyReLU(0.2) → flatten →
         Linear(6272, 1) (bias) → logit.
         Weights N(0, 0.02), BN scale N(1, 0.02), shifts and biases 0.
         (A convolution has a bias exactly when no batch norm follows it.)

One step is gogan's gan.Trainer.Step with k = 1: a discriminator update on
a real batch and a freshly generated batch (G's output detached) with
BCE-with-logits (mean over the real batch + mean over the fake batch, D run
separately on each, as gogan does), then a generator update on fresh noise
with the non-saturating loss. D's parameters are frozen during the G update
(gogan differentiates only G's parameters there). Adam, lr 2e-4, betas
(0.5, 0.999), one optimizer per network. The real data are a pool of 8
random batches, uniform in [-1, 1], handed out in turn, as in ganbench.

Threads: torch.set_num_threads(N), torch.set_num_interop_threads(1), and
OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / MKL_NUM_THREADS = N and (unless
already set) OMP_WAIT_POLICY=PASSIVE set before torch is imported: Debian's
torch calls the system libblas.so.3, which may be OpenBLAS with threads of
its own, and busy-waiting OpenMP threads then fight them for the cores.

Output: one line per configuration, text or (--json) a JSON object with the
fields of ganbench -json: framework, config, batch, threads, steps, warmup,
seconds, steps_per_s, images_per_s, allocs_per_step and bytes_per_step
(null: not measured for Python), gc_per_step (null), peak_rss_bytes (VmHWM
of /proc/self/status), params, d_loss, g_loss, go_version (null),
torch_version, python_version, blas (the BLAS library the process has
loaded) and omp_wait_policy.

--mm N times a float32 N×N×N torch.mm (the "ceiling" of NOTES.md) and
prints its GFLOP/s instead.

--device cuda (or cuda:N) runs everything on an NVIDIA GPU: the networks,
the pool of real batches, the labels and the noise live on the device, and
the clock is read after torch.cuda.synchronize(). As on the CPU, every step
ends by reading both losses (.item()), which waits for the GPU, as
gogan's Trainer.Step returns its losses. It adds the fields device,
device_name, gpu_max_allocated_bytes (torch.cuda.max_memory_allocated():
the caching allocator's peak, CUDA context not included), gpu_memory_bytes
and gpu_memory_source (nvidia-smi's figure at the end of the timed steps,
as ganbench records it: this process's use, context included, where
nvidia-smi lists the process, else the whole device's), cudnn_allow_tf32
and matmul_precision (PyTorch's defaults let cuDNN convolutions use TF32
on Ampere and later GPUs; matrix products stay full float32).

--compile wraps both networks with torch.compile (default mode) and
reports "compiled": true; the warm-up then has at least 3 steps, which
compile every variant the step needs (D with and without gradients for
its parameters, G under no_grad), and the compilation time is excluded
from the timed steps (it is reported as warmup_seconds).

--max-seconds S ends the timed steps once S seconds have passed, even if
fewer than --steps have run (steps then says how many did).
"""

import argparse
import json
import os
import platform
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--configs", default="mlp,dcgan", help="comma-separated: mlp, dcgan")
    p.add_argument("--steps", type=int, default=0, help="timed steps (0: mlp 100, dcgan 10)")
    p.add_argument("--warmup", type=int, default=-1, help="untimed steps (-1: mlp 10, dcgan 2)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--mm", type=int, default=0, help="time an N×N×N float32 torch.mm instead")
    p.add_argument("--mm-reps", type=int, default=20)
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--compile", action="store_true", help="wrap the networks with torch.compile")
    p.add_argument("--max-seconds", type=float, default=0.0,
                   help="end the timed steps after this many seconds (0: no limit)")
    return p.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)
# Debian's torch runs its own ops on OpenMP threads and its matrix products
# on the system BLAS; with OpenBLAS's pthreads build the idle OpenMP
# threads spin while OpenBLAS's threads work and, on 2 cores, halve the
# speed at 2 threads (mlp 33 instead of 103 steps/s). Passive waiting
# removes that; set OMP_WAIT_POLICY=ACTIVE to measure the default.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402  (after the thread variables)
from torch import nn  # noqa: E402

DEFAULT_STEPS = {"mlp": 100, "dcgan": 10}
DEFAULT_WARMUP = {"mlp": 10, "dcgan": 2}
LATENT = 100


def peak_rss():
    """VmHWM of /proc/self/status in bytes (0 if unavailable)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    kb, unit = line.split()[1:3]
                    return int(kb) * 1024 if unit == "kB" else 0
    except OSError:
        pass
    return 0


def blas_library():
    """The BLAS shared libraries mapped into this process."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path)
                if "blas" in name or "mkl" in name:
                    real = os.path.realpath(path)
                    libs.add(os.path.join(os.path.basename(os.path.dirname(real)), os.path.basename(real)))
    except OSError:
        pass
    return ",".join(sorted(libs)) or "unknown"


class MLPGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(LATENT, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z).view(-1, 1, 28, 28)


class MLPDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(784, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 1))

    def forward(self, x):
        return self.net(x.reshape(x.shape[0], -1)).view(-1)


class DCGANGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(LATENT, 128 * 7 * 7)
        self.net = nn.Sequential(
            nn.BatchNorm2d(128), nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, 2, 1, bias=True), nn.Tanh())

    def forward(self, z):
        return self.net(self.stem(z).view(-1, 128, 7, 7))


class DCGANDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1, bias=True), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(128 * 7 * 7, 1))

    def forward(self, x):
        return self.net(x).view(-1)


def init_mlp(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)


def init_dcgan(m):
    if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def is_gpu(device):
    return device == "cuda" or device.startswith("cuda:")


def sync(device):
    if is_gpu(device):
        torch.cuda.synchronize(device)


def gpu_memory(device):
    """GPU memory in use as nvidia-smi reports it, as ganbench reads it:
    (bytes, source), (0, None) where nvidia-smi is absent or fails."""
    import shutil
    import subprocess
    smi = shutil.which("nvidia-smi")
    if not smi:
        return 0, None

    def query(*args):
        try:
            return subprocess.run([smi, *args], capture_output=True, text=True, timeout=10, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            return ""

    total, found = 0, False
    for line in query("--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits").splitlines():
        f = line.split(",")
        if len(f) == 2 and f[0].strip() == str(os.getpid()):
            try:
                total += int(f[1].strip())
                found = True
            except ValueError:
                pass
    if found:
        return total << 20, "nvidia-smi process"
    index = device.split(":", 1)[1] if ":" in device else "0"
    out = query("--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", index).strip().splitlines()
    try:
        return int(out[0].strip()) << 20, "nvidia-smi device"
    except (IndexError, ValueError):
        return 0, None


def make_pair(config):
    if config == "mlp":
        g, d, init = MLPGenerator(), MLPDiscriminator(), init_mlp
    elif config == "dcgan":
        g, d, init = DCGANGenerator(), DCGANDiscriminator(), init_dcgan
    else:
        raise ValueError(f"unknown configuration {config!r} (want mlp or dcgan)")
    g.apply(init)
    d.apply(init)
    return g.train(), d.train()


def run(config, batch, steps, warmup, seed, device="cpu", compiled=False, max_seconds=0.0):
    torch.manual_seed(seed)
    gpu = is_gpu(device)
    if gpu:
        torch.cuda.reset_peak_memory_stats(device)
    gen, disc = make_pair(config)
    gen, disc = gen.to(device), disc.to(device)
    opt_g = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    # The pool is drawn on the CPU (the same numbers on every device), then moved.
    pool = [(torch.rand(batch, 1, 28, 28) * 2 - 1).to(device) for _ in range(8)]
    ones, zeros = torch.ones(batch, device=device), torch.zeros(batch, device=device)
    d_params = list(disc.parameters())
    params = sum(p.numel() for p in gen.parameters()) + sum(p.numel() for p in disc.parameters())
    if compiled:
        gen, disc = torch.compile(gen), torch.compile(disc)
        warmup = max(warmup, 3)
    it = [0]
    last = {}

    def step():
        real = pool[it[0] % len(pool)]
        it[0] += 1
        # Discriminator update: real batch and a fresh generated batch.
        with torch.no_grad():
            fake = gen(torch.randn(batch, LATENT, device=device))
        real_logits = disc(real)
        fake_logits = disc(fake)
        d_loss = bce(real_logits, ones) + bce(fake_logits, zeros)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        # Generator update on fresh noise, non-saturating loss; D frozen.
        for p in d_params:
            p.requires_grad_(False)
        g_loss = bce(disc(gen(torch.randn(batch, LATENT, device=device))), ones)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        for p in d_params:
            p.requires_grad_(True)
        last["d"], last["g"] = d_loss.item(), g_loss.item()

    warm_start = time.perf_counter()
    for _ in range(warmup):
        step()
    sync(device)
    start = time.perf_counter()
    done = 0
    for _ in range(steps):
        step()
        done += 1
        if max_seconds > 0 and time.perf_counter() - start >= max_seconds:
            break
    sync(device)
    elapsed = time.perf_counter() - start
    r = {
        "framework": "pytorch",
        "config": config,
        "batch": batch,
        "threads": torch.get_num_threads(),
        "steps": done,
        "warmup": warmup,
        "seconds": elapsed,
        "steps_per_s": done / elapsed,
        "images_per_s": batch * done / elapsed,
        "allocs_per_step": None,
        "bytes_per_step": None,
        "gc_per_step": None,
        "peak_rss_bytes": peak_rss(),
        "params": params,
        "d_loss": last["d"],
        "g_loss": last["g"],
        "go_version": None,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "blas": blas_library(),
        "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
        "device": device,
        "device_name": torch.cuda.get_device_name(device) if gpu else "cpu",
        "compiled": compiled,
        "warmup_seconds": start - warm_start,
        "gpu_max_allocated_bytes": None,
        "gpu_memory_bytes": 0,
        "gpu_memory_source": None,
        "cudnn_allow_tf32": None,
        "matmul_precision": getattr(torch, "get_float32_matmul_precision", lambda: None)(),
    }
    if gpu:
        r["gpu_memory_bytes"], r["gpu_memory_source"] = gpu_memory(device)
        r["gpu_max_allocated_bytes"] = torch.cuda.max_memory_allocated(device)
        r["cudnn_allow_tf32"] = getattr(torch.backends.cudnn, "allow_tf32", None)
    return r


def time_mm(n, reps, device="cpu"):
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    c = torch.mm(a, b)  # warm up
    sync(device)
    start = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b, out=c)
    sync(device)
    elapsed = time.perf_counter() - start
    return {
        "framework": "pytorch",
        "op": "mm",
        "n": n,
        "threads": torch.get_num_threads(),
        "reps": reps,
        "seconds": elapsed,
        "gflop_per_s": 2.0 * n ** 3 * reps / elapsed / 1e9,
        "torch_version": torch.__version__,
        "blas": blas_library(),
        "device": device,
    }


def main():
    torch.set_num_threads(ARGS.threads)
    torch.set_num_interop_threads(1)
    if ARGS.mm > 0:
        r = time_mm(ARGS.mm, ARGS.mm_reps, ARGS.device)
        print(json.dumps(r) if ARGS.json else
              f"torch.mm {r['n']}x{r['n']}x{r['n']} threads {r['threads']}: {r['gflop_per_s']:.1f} GFLOP/s ({r['blas']})")
        return
    if ARGS.batch < 1 or ARGS.steps < 0 or ARGS.max_seconds < 0:
        sys.exit("bench.py: --batch must be positive and --steps and --max-seconds not negative")
    if ARGS.device != "cpu" and not is_gpu(ARGS.device):
        sys.exit(f"bench.py: unknown --device {ARGS.device!r} (want cpu, cuda or cuda:N)")
    if ARGS.compile and not hasattr(torch, "compile"):
        sys.exit(f"bench.py: --compile: torch {torch.__version__} has no torch.compile (it needs PyTorch 2)")
    if is_gpu(ARGS.device) and not torch.cuda.is_available():
        sys.exit(f"bench.py: --device {ARGS.device}: torch {torch.__version__} sees no CUDA device")
    for config in [c.strip() for c in ARGS.configs.split(",") if c.strip()]:
        if config not in DEFAULT_STEPS:
            sys.exit(f"bench.py: unknown configuration {config!r} (want mlp or dcgan)")
        steps = ARGS.steps or DEFAULT_STEPS[config]
        warmup = ARGS.warmup if ARGS.warmup >= 0 else DEFAULT_WARMUP[config]
        r = run(config, ARGS.batch, steps, warmup, ARGS.seed, ARGS.device, ARGS.compile, ARGS.max_seconds)
        if ARGS.json:
            print(json.dumps(r), flush=True)
        else:
            extra = ""
            if r["device"] != "cpu":
                extra += f", device {r['device_name']}"
            if r["compiled"]:
                extra += ", torch.compile"
            if r["gpu_max_allocated_bytes"] is not None:
                extra += f", GPU max allocated {r['gpu_max_allocated_bytes'] / 2**20:.0f} MiB"
            if r["gpu_memory_bytes"]:
                extra += f", GPU memory {r['gpu_memory_bytes'] / 2**20:.0f} MiB ({r['gpu_memory_source']})"
            print(f"{config:6s} batch {r['batch']} threads {r['threads']}: {r['steps']} steps in {r['seconds']:.2f}s: "
                  f"{r['steps_per_s']:.2f} steps/s, {r['images_per_s']:.0f} images/s, "
                  f"peak RSS {r['peak_rss_bytes'] / 1e6:.1f} MB{extra}", flush=True)


if __name__ == "__main__":
    main()
