#!/bin/sh
# Weekly base backup for point-in-time recovery (docs/deploy.md, "Backups"); run as postgres by
# deploy/systemd/backoffice-basebackup.service. A base backup plus the archived WAL after it (archive.conf)
# restores the cluster to any moment since. Keeps KEEP bases and the WAL the oldest of them needs.
set -eu
DIR=${DIR:-/var/backups/postgresql/base}
WAL=${WAL:-/var/backups/postgresql/wal}
KEEP=${KEEP:-2}

mkdir -p "$DIR"
target="$DIR/$(date -u +%Y%m%dT%H%M%SZ)"
pg_basebackup --pgdata="$target" --format=tar --gzip --wal-method=stream --checkpoint=fast --label=backoffice
# An archive that does not read back whole is no backup.
gzip -t "$target/base.tar.gz" "$target/pg_wal.tar.gz"

# Older bases beyond KEEP go, and with them the WAL only they needed.
ls -1d "$DIR"/*/ | sort | head -n -"$KEEP" | xargs -r rm -rf
oldest=$(ls -1d "$DIR"/*/ | sort | head -n 1)
start=$(tar -xzOf "$oldest/base.tar.gz" backup_label | sed -n 's/^START WAL LOCATION: .* (file \([0-9A-F]*\))$/\1/p')
if [ -n "$start" ]; then
    pg_archivecleanup "$WAL" "$start"
fi
echo "base backup $target"
