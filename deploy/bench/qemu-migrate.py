#!/usr/bin/env python3
"""One QEMU live migration on loopback, driven over QMP; prints the source's final query-migrate
as one JSON object (plus "accel" and "data-bytes") on stdout. python3 stdlib only.

The guest is idle: no disk, no display; its RAM is a file of random bytes mapped privately
(memory-backend-file, share=off), so every page is non-zero and must travel. The destination
starts with `-incoming defer` and anonymous RAM, listens through `migrate-incoming`. Both sides
get `return-path` and `switchover-ack`; the source gets `downtime-limit` and an unlimited
`max-bandwidth`. Used by deploy/bench/peer-qemu.sh.

    qemu-migrate.py --mem-file FILE --size-mib 256 --accel kvm --workdir DIR [--downtime-limit 300]

Exit codes: 0 completed, 1 failed (the error on stderr), 2 QEMU did not start.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time

# QEMU's max-bandwidth is bytes/second; 1 TiB/s is far above what loopback moves, i.e. unlimited.
UNLIMITED = 1 << 40


class Qmp:
    def __init__(self, path, proc, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if proc.poll() is not None:
                    raise RuntimeError(f"QEMU exited with code {proc.returncode}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no QMP socket at {path} after {timeout:.0f} s")
                time.sleep(0.02)
        self.file = self.sock.makefile("rb")
        self._read()  # greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        while True:
            line = self.file.readline()
            if not line:
                raise RuntimeError("QMP connection closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, name, **arguments):
        req = {"execute": name}
        if arguments:
            req["arguments"] = arguments
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(f"{name}: {reply['error'].get('desc', reply['error'])}")
        return reply.get("return")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_qemu(binary, name, args, workdir, pidfile):
    qmp = os.path.join(workdir, f"{name}.qmp")
    log = open(os.path.join(workdir, f"{name}.log"), "wb")
    cmd = [binary, "-name", name, "-nodefaults", "-display", "none", "-serial", "none",
           "-monitor", "none", "-qmp", f"unix:{qmp},server=on,wait=off"] + args
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    with open(pidfile, "a") as f:  # the shell's trap kills these too, should this process die first
        f.write(f"{proc.pid}\n")
    return proc, qmp


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--qemu", default="qemu-system-x86_64", help="the QEMU binary")
    p.add_argument("--mem-file", required=True)
    p.add_argument("--size-mib", type=int, required=True)
    p.add_argument("--accel", choices=["kvm", "tcg"], required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--downtime-limit", type=int, default=300)
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--settle", type=float, default=1.0, help="seconds the source guest runs before the migration (its firmware's boot is over by then)")
    o = p.parse_args()

    pidfile = os.path.join(o.workdir, "qemu.pids")
    size = f"{o.size_mib}M"
    machine = ["-machine", f"q35,accel={o.accel},memory-backend=mem", "-m", size] + (["-cpu", "host"] if o.accel == "kvm" else [])
    procs = []
    # SIGTERM from the shell's trap: leave through finally, which kills both QEMUs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        src, src_qmp = start_qemu(o.qemu, "src", ["-object", f"memory-backend-file,id=mem,size={size},mem-path={o.mem_file},share=off"] + machine,
                                  o.workdir, pidfile)
        procs.append(src)
        dst, dst_qmp = start_qemu(o.qemu, "dst", ["-object", f"memory-backend-ram,id=mem,size={size}"] + machine + ["-incoming", "defer"],
                                  o.workdir, pidfile)
        procs.append(dst)
        try:
            s, d = Qmp(src_qmp, src), Qmp(dst_qmp, dst)
        except RuntimeError as e:
            logs = "".join(open(os.path.join(o.workdir, f"{n}.log")).read() for n in ("src", "dst"))
            print(f"QEMU did not start: {e}\n{logs}", file=sys.stderr)
            return 2
        time.sleep(o.settle)
        caps = [{"capability": c, "state": True} for c in ("return-path", "switchover-ack")]
        d.cmd("migrate-set-capabilities", capabilities=caps)
        port = free_port()
        d.cmd("migrate-incoming", uri=f"tcp:127.0.0.1:{port}")
        s.cmd("migrate-set-capabilities", capabilities=caps)
        s.cmd("migrate-set-parameters", **{"downtime-limit": o.downtime_limit, "max-bandwidth": UNLIMITED})
        s.cmd("migrate", uri=f"tcp:127.0.0.1:{port}")
        deadline = time.monotonic() + o.timeout
        while True:
            info = s.cmd("query-migrate")
            status = info.get("status")
            if status in ("completed", "failed", "cancelled"):
                break
            if time.monotonic() > deadline:
                s.cmd("migrate_cancel")
                info = dict(info, status="failed", **{"error-desc": f"not completed after {o.timeout:.0f} s"})
                break
            time.sleep(0.01)
        dst_status = d.cmd("query-status") if status == "completed" else None
        info["accel"] = o.accel
        info["data-bytes"] = o.size_mib << 20
        info["destination-vm"] = dst_status.get("status") if dst_status else None
        print(json.dumps(info))
        if info["status"] != "completed":
            print(f"QEMU migration {info['status']}: {info.get('error-desc')}", file=sys.stderr)
            return 1
        return 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:  # a QMP command QEMU refused, or QMP gone: QEMU's own text
        print(f"QEMU: {e}", file=sys.stderr)
        sys.exit(1)
