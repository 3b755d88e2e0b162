package dev.tandem.proxy.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A strict HTTP/1.1 server on a raw socket that records every octet the proxy sends it, request by request:
 * the head up to its empty line, then the body as its Content-Length or chunked framing says (chunks and
 * trailers included). It answers each whole request {@code 200} with the body {@code ok} (none to a HEAD).
 * What a connection sends that is not a whole request when it closes is recorded too, as it came.
 *
 * <p>Requests whose line starts with {@link #IGNORED_PREFIX} are the harness's own (probes and syncs) and
 * are answered but not recorded.
 */
final class RecordingBackend implements AutoCloseable {

    static final String IGNORED_PREFIX = "GET /__";

    private final ServerSocket server;
    private final List<byte[]> recorded = new ArrayList<>();
    private int complete;
    private final List<Socket> sockets = new ArrayList<>();
    private int partial;
    private volatile boolean closed;

    RecordingBackend() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "recording-backend");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /** Forgets what was recorded so far. */
    synchronized void clear() {
        recorded.clear();
        complete = 0;
    }

    /** How many of the recorded entries were whole requests (the rest are what a closed connection left). */
    synchronized int complete() {
        return complete;
    }

    /** What was recorded since the last {@link #clear}, one entry per request (or per unfinished tail). */
    synchronized List<byte[]> recorded() {
        return List.copyOf(recorded);
    }

    /** Connections in the middle of a request: what they hold is not recorded yet. */
    synchronized boolean busy() {
        return partial > 0;
    }

    private synchronized void record(byte[] request, boolean whole) {
        if (!new String(request, 0, Math.min(request.length, IGNORED_PREFIX.length()), StandardCharsets.ISO_8859_1)
                .equals(IGNORED_PREFIX)) {
            recorded.add(request);
            if (whole) {
                complete++;
            }
        }
    }

    private synchronized void partial(int delta) {
        partial += delta;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket s = server.accept();
                synchronized (this) {
                    sockets.add(s);
                }
                Thread t = new Thread(() -> serve(s), "recording-backend-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        try (s; InputStream in = new java.io.BufferedInputStream(s.getInputStream()); OutputStream out = s.getOutputStream()) {
            while (true) {
                request.reset();
                int first = in.read();
                if (first < 0) {
                    return;
                }
                partial(1);
                request.write(first);
                String head = readHead(in, request);
                if (head == null) {
                    return;
                }
                boolean isHead = head.startsWith("HEAD ");
                String te = header(head, "transfer-encoding");
                String cl = header(head, "content-length");
                if (te != null) {
                    if (!readChunked(in, request)) {
                        return;
                    }
                } else if (cl != null) {
                    long n = Long.parseLong(cl.trim());
                    for (long i = 0; i < n; i++) {
                        int b = in.read();
                        if (b < 0) {
                            return;
                        }
                        request.write(b);
                    }
                }
                record(request.toByteArray(), true);
                request.reset();
                partial(-1);
                out.write((isHead ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
                        : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // The connection ends: what it held of a request is recorded below.
        } finally {
            if (request.size() > 0) {
                record(request.toByteArray(), false);
                partial(-1);
            }
        }
    }

    /** Reads up to and including the empty line; the head as text, or null at the end of the stream. */
    private static String readHead(InputStream in, ByteArrayOutputStream request) throws IOException {
        int state = request.size() > 0 && request.toByteArray()[0] == '\r' ? 1 : 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            request.write(b);
            state = switch (state) {
                case 0, 2 -> b == '\r' ? state + 1 : 0;
                case 1, 3 -> b == '\n' ? state + 1 : (b == '\r' ? 1 : 0);
                default -> state;
            };
        }
        return request.toString(StandardCharsets.ISO_8859_1);
    }

    private static boolean readChunked(InputStream in, ByteArrayOutputStream request) throws IOException {
        while (true) {
            String sizeLine = line(in, request);
            if (sizeLine == null) {
                return false;
            }
            int semi = sizeLine.indexOf(';');
            long size = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
            if (size == 0) {
                while (true) {
                    String trailer = line(in, request);
                    if (trailer == null) {
                        return false;
                    }
                    if (trailer.isEmpty()) {
                        return true;
                    }
                }
            }
            for (long i = 0; i < size + 2; i++) {
                int b = in.read();
                if (b < 0) {
                    return false;
                }
                request.write(b);
            }
        }
    }

    private static String line(InputStream in, ByteArrayOutputStream request) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            request.write(b);
            if (b == '\n') {
                int end = sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r' ? sb.length() - 1 : sb.length();
                return sb.substring(0, end);
            }
            sb.append((char) b);
        }
    }

    private static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).toLowerCase(Locale.ROOT).equals(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        synchronized (this) {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
