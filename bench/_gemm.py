import sys, time, resource, torch, torch.nn.functional as F
M, N, K, reps, th = map(int, sys.argv[1:])
torch.set_num_threads(th)
a = torch.rand(M, K); w = torch.rand(N, K)
with torch.inference_mode():
    F.linear(a, w)
    r0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.perf_counter()
    for _ in range(reps): F.linear(a, w)
    dt = time.perf_counter() - t0; r1 = resource.getrusage(resource.RUSAGE_SELF)
cs = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
fl = 2 * M * N * K * reps / 1e9
print(f"torch {M}x{N}x{K} th{th}: wall {fl/dt:.1f} GFLOP/s, per cpu-s {fl/cs:.1f} GFLOP/cpu-s")
