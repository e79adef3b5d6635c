"""DynamoDB Local: AWS's own DynamoDB engine, run on this machine's Java.

`make` unpacks it into .tools/dynamodb-local/ from the npm package that carries it
(amplify-dynamodb-simulator); see ops/setup-tools.sh.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import closing
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / ".tools" / "dynamodb-local"


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DynamoDBLocal:
    def __init__(self, port: int | None = None, data_dir: Path | None = None):
        jar = HOME / "DynamoDBLocal.jar"
        if not jar.exists():
            raise RuntimeError(f"DynamoDB Local is not installed at {jar}: run `make tools`")
        if shutil.which("java") is None:
            raise RuntimeError("java is not installed: run `make tools`")
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        storage = ["-dbPath", str(data_dir)] if data_dir else ["-inMemory"]
        if data_dir:
            data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["java", f"-Djava.library.path={HOME / 'DynamoDBLocal_lib'}", "-Xmx512m", "-jar", str(jar),
             *storage, "-port", str(self.port), "-disableTelemetry", "-sharedDb"],
            cwd=HOME,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait()

    def client(self):
        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name="us-west-2",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"max_attempts": 2}),
        )

    def _wait(self, timeout: float = 30.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("DynamoDB Local exited at start")
            try:
                self.client().list_tables()
                return
            except Exception:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("DynamoDB Local did not start in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
