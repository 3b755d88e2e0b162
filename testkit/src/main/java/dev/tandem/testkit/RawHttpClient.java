package dev.tandem.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.x client over a plain blocking socket that sends exactly the bytes a test gives it: malformed
 * requests, pipelined requests in one write, conflicting framing headers, HTTP/1.0. It reads responses
 * as they are on the wire (framing by Content-Length, chunked or the close) and can stop reading to
 * stall the server.
 */
public final class RawHttpClient implements AutoCloseable {

    /** Largest body {@link #read()} keeps in memory; bigger ones go through {@link #readBody}. */
    public static final int MAX_IN_MEMORY = 16 * 1024 * 1024;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawHttpClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    /** Connects to {@code address}; reads time out after 10 seconds. */
    public static RawHttpClient connect(InetSocketAddress address) throws IOException {
        return connect(address, 0);
    }

    /**
     * Connects with SO_RCVBUF set to {@code receiveBuffer} bytes before the handshake (0 leaves the
     * default): a small buffer makes a stalled client stall the server soon.
     */
    public static RawHttpClient connect(InetSocketAddress address, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        s.setTcpNoDelay(true);
        s.setSoTimeout(10_000);
        s.connect(address, 5_000);
        return new RawHttpClient(s);
    }

    public Socket socket() {
        return socket;
    }

    public RawHttpClient timeout(Duration readTimeout) throws SocketException {
        socket.setSoTimeout((int) readTimeout.toMillis());
        return this;
    }

    /** Sends {@code text} as ISO-8859-1 bytes, in one write. */
    public RawHttpClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawHttpClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Sends {@code length} bytes of the {@link TestData} body starting at {@code offset}. */
    public RawHttpClient sendPattern(long offset, long length) throws IOException {
        byte[] piece = new byte[TestData.MAX_PIECE];
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(piece.length, length - done);
            TestData.copy(offset + done, piece, 0, n);
            out.write(piece, 0, n);
            done += n;
        }
        out.flush();
        return this;
    }

    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** Reads one response and its body into memory (no body for 1xx, 204 and 304). */
    public RawResponse read() throws IOException {
        return read(false);
    }

    /** Reads one response; {@code toHead} when it answers a HEAD request, so it has no body. */
    public RawResponse read(boolean toHead) throws IOException {
        RawResponse r = readHead();
        if (!toHead) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            readBody(r, (b, off, len) -> {
                if (body.size() + len > MAX_IN_MEMORY) {
                    throw new IOException("body over " + MAX_IN_MEMORY + " bytes: use readBody");
                }
                body.write(b, off, len);
            });
            r.body(body.toByteArray());
        }
        return r;
    }

    /** Reads a status line and headers. */
    public RawResponse readHead() throws IOException {
        String statusLine = line();
        if (statusLine == null) {
            throw new EOFException("connection closed before a response");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("not a status line: " + statusLine);
        }
        List<Map.Entry<String, String>> headers = headerLines();
        return new RawResponse(parts[0], Integer.parseInt(parts[1]), parts.length > 2 ? parts[2] : "", headers);
    }

    /** Where body bytes go as they arrive. */
    @FunctionalInterface
    public interface BodySink {
        void accept(byte[] b, int off, int len) throws IOException;
    }

    /** Reads the body of {@code head} into {@code sink}, framed as the head says; returns its length. */
    public long readBody(RawResponse head, BodySink sink) throws IOException {
        int status = head.status();
        long n = 0;
        if (status < 200 || status == 204 || status == 304) {
            head.bodyLength(0);
            return 0;
        }
        String te = head.header("Transfer-Encoding");
        String cl = head.header("Content-Length");
        byte[] buf = new byte[64 * 1024];
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            head.chunked(true);
            while (true) {
                String sizeLine = line();
                if (sizeLine == null) {
                    throw new EOFException("connection closed inside a chunked body after " + n + " bytes");
                }
                int semi = sizeLine.indexOf(';');
                long size = Long.parseLong((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
                if (size == 0) {
                    head.trailers().addAll(headerLines());
                    break;
                }
                n += copy(size, buf, sink);
                if (!line().isEmpty()) {
                    throw new IOException("chunk not followed by CRLF");
                }
            }
        } else if (cl != null) {
            n = copy(Long.parseLong(cl.trim()), buf, sink);
        } else {
            int r;
            while ((r = in.read(buf)) >= 0) {
                sink.accept(buf, 0, r);
                n += r;
            }
        }
        head.bodyLength(n);
        return n;
    }

    /** Reads exactly {@code length} bytes into {@code sink}, e.g. the rest of a body already partly read. */
    public void readExactly(long length, BodySink sink) throws IOException {
        copy(length, new byte[64 * 1024], sink);
    }

    private long copy(long length, byte[] buf, BodySink sink) throws IOException {
        long left = length;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                throw new EOFException("connection closed with " + left + " of " + length + " body bytes missing");
            }
            sink.accept(buf, 0, r);
            left -= r;
        }
        return length;
    }

    /** Reads up to {@code max} bytes of whatever arrives (blocking for the first); empty at the end. */
    public byte[] readSome(int max) throws IOException {
        byte[] b = new byte[max];
        int r = in.read(b);
        if (r < 0) {
            return new byte[0];
        }
        byte[] got = new byte[r];
        System.arraycopy(b, 0, got, 0, r);
        return got;
    }

    /**
     * True when the server closes the connection within {@code within} without sending anything more;
     * false when it sends a byte or keeps the connection open that long.
     */
    public boolean closedByPeer(Duration within) throws IOException {
        int saved = socket.getSoTimeout();
        socket.setSoTimeout((int) Math.max(1, within.toMillis()));
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            // A reset is a close too.
            return true;
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(saved);
            }
        }
    }

    /** Reads everything until the server closes the connection. */
    public byte[] readToEnd() throws IOException {
        return in.readAllBytes();
    }

    private List<Map.Entry<String, String>> headerLines() throws IOException {
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        String line;
        while ((line = line()) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("not a header line: " + line);
            }
            headers.add(new AbstractMap.SimpleImmutableEntry<>(line.substring(0, colon), line.substring(colon + 1).trim()));
        }
        if (line == null) {
            throw new EOFException("connection closed inside a header block");
        }
        return headers;
    }

    /** One CRLF-terminated line without its end, or null at the end of the stream before any byte. */
    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            sb.append((char) c);
        }
        if (sb.length() == 0) {
            return null;
        }
        throw new EOFException("connection closed inside a line: " + sb);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
