package dev.tandem.testkit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A response as {@link RawHttpClient} read it off the wire: headers in their order and spelling, the body
 * (when read into memory) and the trailers of a chunked body.
 */
public final class RawResponse {

    private final String version;
    private final int status;
    private final String reason;
    private final List<Map.Entry<String, String>> headers;
    private byte[] body = new byte[0];
    private long bodyLength;
    private boolean chunked;
    private final List<Map.Entry<String, String>> trailers = new ArrayList<>();

    RawResponse(String version, int status, String reason, List<Map.Entry<String, String>> headers) {
        this.version = version;
        this.status = status;
        this.reason = reason;
        this.headers = List.copyOf(headers);
    }

    public String version() {
        return version;
    }

    public int status() {
        return status;
    }

    public String reason() {
        return reason;
    }

    /** Every header line, in order. */
    public List<Map.Entry<String, String>> headers() {
        return headers;
    }

    /** The first value of header {@code name} (any case), or null. */
    public String header(String name) {
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }

    /** Every value of header {@code name} (any case). */
    public List<String> headerValues(String name) {
        List<String> values = new ArrayList<>();
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase(name)) {
                values.add(h.getValue());
            }
        }
        return values;
    }

    public boolean hasHeader(String name) {
        return header(name) != null;
    }

    /** The body, when it was read into memory. */
    public byte[] body() {
        return body;
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** Body bytes read (also when they went to a sink rather than into memory). */
    public long bodyLength() {
        return bodyLength;
    }

    /** True when the body came chunked. */
    public boolean chunked() {
        return chunked;
    }

    public List<Map.Entry<String, String>> trailers() {
        return trailers;
    }

    void body(byte[] body) {
        this.body = body;
    }

    void bodyLength(long n) {
        this.bodyLength = n;
    }

    void chunked(boolean chunked) {
        this.chunked = chunked;
    }

    @Override
    public String toString() {
        return version + " " + status + " " + reason + " " + headers + " (" + bodyLength + " body bytes)";
    }
}
