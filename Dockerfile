# syntax=docker/dockerfile:1
# Build stage: a static binary (pure-Go SQLite, no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/newsletter ./cmd/newsletter

# Run stage: the binary, CA certificates and a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/newsletter /usr/local/bin/newsletter
ENV NEWSLETTER_ADDR=:8080 NEWSLETTER_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/newsletter"]
CMD ["serve"]
