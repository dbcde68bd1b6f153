#!/bin/sh
# Nightly logical dump of the back office's database (docs/deploy.md, "Backups"); run as postgres by
# deploy/systemd/backoffice-dump.service. Keeps KEEP_DAYS days of dumps. Restore one with
#   createdb -O backoffice backoffice && pg_restore --no-owner --role=backoffice -d backoffice -j 4 FILE
set -eu
DB=${DB:-backoffice}
DIR=${DIR:-/var/backups/postgresql/dump}
KEEP_DAYS=${KEEP_DAYS:-14}

mkdir -p "$DIR"
file="$DIR/$DB-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --compress=6 --file="$file.tmp" "$DB"
mv "$file.tmp" "$file"
# A dump that does not list its contents is no backup.
pg_restore --list "$file" >/dev/null
find "$DIR" -name "$DB-*.dump" -mtime +"$KEEP_DAYS" -delete
echo "dumped $file ($(du -h "$file" | cut -f1))"
