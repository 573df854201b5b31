#!/usr/bin/env bash
# make dist: release archives of lab for every platform a user runs it on,
# each with lab and the two linux workload programs (lab packages the one
# that matches the Docker daemon), and a checksums file.
#
#   VERSION=v1.2.3 ./release/dist.sh      (make dist sets VERSION and LDFLAGS)
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
VERSION=${VERSION:?set VERSION}
LDFLAGS=${LDFLAGS:-}
PLATFORMS=${PLATFORMS:-"linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64"}
OUT=dist

rm -rf "$OUT"
mkdir -p "$OUT"
for arch in amd64 arm64; do
	GOOS=linux GOARCH=$arch CGO_ENABLED=0 "$GO" build -trimpath -ldflags='-s -w' \
		-o "$OUT/lab-workload-linux-$arch" ./cmd/lab-workload
done
for p in $PLATFORMS; do
	os=${p%/*} arch=${p#*/}
	name="lab-$VERSION-$os-$arch"
	dir="$OUT/$name"
	exe=lab
	[ "$os" = windows ] && exe=lab.exe
	mkdir -p "$dir"
	GOOS=$os GOARCH=$arch CGO_ENABLED=0 "$GO" build -trimpath -ldflags="-s -w $LDFLAGS" -o "$dir/$exe" ./cmd/lab
	cp "$OUT"/lab-workload-linux-amd64 "$OUT"/lab-workload-linux-arm64 README.md "$dir/"
	if [ "$os" = windows ]; then
		(cd "$OUT" && zip -qr "$name.zip" "$name")
	else
		tar -C "$OUT" -czf "$OUT/$name.tar.gz" "$name"
	fi
	rm -rf "$dir"
done
rm "$OUT"/lab-workload-linux-*
(cd "$OUT" && sha256sum ./*.tar.gz ./*.zip | sed 's# \./# #' > checksums.txt)
ls -l "$OUT"
