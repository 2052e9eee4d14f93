"""localarweave: a local ANS-104 bundler endpoint and gateway on 127.0.0.1."""
