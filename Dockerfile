# conduitc in a container: a static musl build in a Rust image, copied into
# an empty image. Build and run:
#
#   docker build -t conduitc .
#   docker run --rm -v "$PWD:/work" -w /work conduitc check policy/

FROM rust:1.88-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends musl-tools \
    && rm -rf /var/lib/apt/lists/* \
    && rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target x86_64-unknown-linux-musl --bin conduitc \
    && cp target/x86_64-unknown-linux-musl/release/conduitc /conduitc

FROM scratch
COPY --from=build /conduitc /usr/local/bin/conduitc
# Not root; the policy is mounted read-only or read-write as needed.
USER 65534:65534
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/conduitc"]
CMD ["--help"]
