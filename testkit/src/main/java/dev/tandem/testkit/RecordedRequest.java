package dev.tandem.testkit;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A request as a {@link TestBackend} received it: the head at once, the body as it arrives. Written by the
 * backend's event loop, read by the test thread.
 */
public final class RecordedRequest {

    /** Body bytes kept for {@link #body()}; the rest is only counted and checksummed. */
    public static final int KEPT_BODY_BYTES = 1024 * 1024;

    private final String backend;
    private final int connection;
    private final int indexOnConnection;
    private final String method;
    private final String uri;
    private final String version;
    private final HttpHeaders headers;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final CRC32 crc = new CRC32();
    private final TestData.Checker pattern = new TestData.Checker();
    private volatile long bodyBytes;
    private volatile boolean complete;

    RecordedRequest(String backend, int connection, int indexOnConnection, HttpRequest head) {
        this.backend = backend;
        this.connection = connection;
        this.indexOnConnection = indexOnConnection;
        this.method = head.method().name();
        this.uri = head.uri();
        this.version = head.protocolVersion().text();
        this.headers = head.headers().copy();
    }

    /** The name of the backend that received it. */
    public String backend() {
        return backend;
    }

    /** Which connection of its backend it came on (1, 2, ... in accept order). */
    public int connection() {
        return connection;
    }

    /** 0 for the first request on its connection, 1 for the next, ... */
    public int indexOnConnection() {
        return indexOnConnection;
    }

    public String method() {
        return method;
    }

    public String uri() {
        return uri;
    }

    /** {@code HTTP/1.1} or {@code HTTP/1.0}. */
    public String version() {
        return version;
    }

    /** The headers as received (a copy). */
    public HttpHeaders headers() {
        return headers;
    }

    public String header(String name) {
        return headers.get(name);
    }

    public List<String> headerValues(String name) {
        return headers.getAll(name);
    }

    /** Body bytes received so far. */
    public long bodyBytes() {
        return bodyBytes;
    }

    /** True once the end of the body arrived. */
    public boolean complete() {
        return complete;
    }

    /** The first {@link #KEPT_BODY_BYTES} bytes of the body. */
    public synchronized byte[] body() {
        return kept.toByteArray();
    }

    public String bodyText() {
        return new String(body(), StandardCharsets.UTF_8);
    }

    /** CRC-32 of the whole body received so far. */
    public synchronized long crc32() {
        return crc.getValue();
    }

    /** True when the body so far is the {@link TestData} pattern. */
    public synchronized boolean bodyIsPattern() {
        return pattern.intact();
    }

    synchronized void addBody(byte[] bytes, int length) {
        int keep = (int) Math.min(length, Math.max(0, KEPT_BODY_BYTES - kept.size()));
        kept.write(bytes, 0, keep);
        crc.update(bytes, 0, length);
        pattern.update(bytes, 0, length);
        bodyBytes += length;
    }

    void completed() {
        complete = true;
    }

    @Override
    public String toString() {
        return backend + "#" + connection + "." + indexOnConnection + " " + method + " " + uri + " " + version
                + " (" + bodyBytes + " body bytes" + (complete ? ")" : ", incomplete)");
    }
}
