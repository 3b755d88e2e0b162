package dev.tandem.proxy.statics;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A deliberately plain HTTP/1.1 client over a socket: it sends request bytes exactly as given (so that
 * hostile paths reach the server unaltered, which java.net clients refuse to do) and reads responses
 * one by one from the same connection, for keep-alive and pipelining.
 */
final class RawHttp implements AutoCloseable {

    record Response(int status, Map<String, List<String>> headers, byte[] body) {

        String header(String name) {
            List<String> v = headers.get(name);
            return v == null ? null : v.get(0);
        }

        String text() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawHttp(InetSocketAddress address) throws IOException {
        socket = new Socket(address.getAddress(), address.getPort());
        socket.setSoTimeout(20_000);
        in = new java.io.BufferedInputStream(socket.getInputStream(), 64 * 1024);
        out = socket.getOutputStream();
    }

    /** One request on a fresh connection: {@code GET path} (or another method) with {@code extra} header lines. */
    static Response get(InetSocketAddress address, String method, String path, String... extra) throws IOException {
        try (RawHttp c = new RawHttp(address)) {
            c.send(request(method, path, extra));
            return c.read(method.equals("HEAD"));
        }
    }

    static String request(String method, String path, String... extra) {
        StringBuilder b = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: files.test\r\n");
        for (String h : extra) {
            b.append(h).append("\r\n");
        }
        return b.append("\r\n").toString();
    }

    void send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    void send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
    }

    /** Reads one response; {@code head} when it answers a HEAD (no body whatever the headers say). */
    Response read(boolean head) throws IOException {
        String statusLine = line();
        if (statusLine == null) {
            throw new EOFException("connection closed before a response");
        }
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String l = line(); l != null && !l.isEmpty(); l = line()) {
            int colon = l.indexOf(':');
            headers.computeIfAbsent(l.substring(0, colon).trim(), k -> new ArrayList<>()).add(l.substring(colon + 1).trim());
        }
        byte[] body;
        List<String> length = headers.get("Content-Length");
        List<String> te = headers.get("Transfer-Encoding");
        if (head || status == 304 || status == 204 || status < 200) {
            body = new byte[0];
        } else if (te != null && te.get(0).toLowerCase(Locale.ROOT).contains("chunked")) {
            body = chunked();
        } else if (length != null) {
            body = in.readNBytes(Integer.parseInt(length.get(0)));
        } else {
            body = in.readAllBytes();
        }
        return new Response(status, headers, body);
    }

    /** Reads a response head, then counts and discards {@code Content-Length} body bytes, checking each is zero. */
    long readDiscarding(long expected) throws IOException {
        Response head = read(true);
        if (head.status() != 200 || Long.parseLong(head.header("Content-Length")) != expected) {
            throw new IOException("unexpected response " + head.status() + " " + head.headers());
        }
        byte[] buf = new byte[256 * 1024];
        long total = 0;
        while (total < expected) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, expected - total));
            if (n < 0) {
                throw new EOFException("body ended after " + total + " of " + expected + " bytes");
            }
            total += n;
        }
        return total;
    }

    boolean closedByPeer() throws IOException {
        return in.read() < 0;
    }

    private byte[] chunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (;;) {
            String size = line();
            int n = Integer.parseInt(size.split(";")[0].trim(), 16);
            if (n == 0) {
                while (!line().isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(n));
            line();
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                byte[] bytes = b.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
