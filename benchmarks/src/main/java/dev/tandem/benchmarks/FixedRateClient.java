package dev.tandem.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An open-model HTTP/1.1 load: GET requests at a fixed total rate over keep-alive connections, each latency
 * measured from the moment the request was meant to be sent, not from when it could be (as wrk2 does), so a
 * stall of the server counts for every request that fell due during it instead of one (no coordinated
 * omission). Each connection has its own schedule, rate / connections, staggered; a request falls due at its
 * time and is sent as soon as its connection is free. Run from source, with nothing but the JDK:
 *
 * <pre>java FixedRateClient.java HOST PORT RATE CONNECTIONS SECONDS [PATH [WARMUP_SECONDS]]</pre>
 *
 * It prints one line, {@code RATE_RESULT key=value ...}: requests, errors (non-2xx, or no answer within 2 s of
 * the end), the rate achieved, percentiles of the latency from the intended send time, the same from the actual
 * send time (what a client with coordinated omission reports), and how late the client itself sent (when that is
 * large against the server directly, the client is the limit, not the server).
 */
public final class FixedRateClient {
    private static final long DRAIN_NANOS = 2_000_000_000L;
    private static final long SPIN_NANOS = 20_000L;
    /** "content-length:" in lower case; header names are compared with their letters folded ('-' and ':' fold to themselves). */
    private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(StandardCharsets.US_ASCII);

    private final Connection[] connections;
    private final long intervalNanos;
    private final long[] latencies;
    private final long[] sendLatencies;
    private final long[] lags;
    private int recorded;
    private long errors;

    private FixedRateClient(Connection[] connections, long intervalNanos, int capacity) {
        this.connections = connections;
        this.intervalNanos = intervalNanos;
        this.latencies = new long[capacity];
        this.sendLatencies = new long[capacity];
        this.lags = new long[capacity];
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 5) {
            System.err.println("usage: FixedRateClient HOST PORT RATE CONNECTIONS SECONDS [PATH [WARMUP_SECONDS]]");
            System.exit(64);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        double rate = Double.parseDouble(args[2]);
        int count = Integer.parseInt(args[3]);
        double seconds = Double.parseDouble(args[4]);
        String path = args.length > 5 ? args[5] : "/";
        double warmup = args.length > 6 ? Double.parseDouble(args[6]) : 0;
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        Selector selector = Selector.open();
        Connection[] connections = new Connection[count];
        for (int i = 0; i < count; i++) {
            SocketChannel channel = SocketChannel.open(new InetSocketAddress(host, port));
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.configureBlocking(false);
            connections[i] = new Connection(channel, request);
            channel.register(selector, SelectionKey.OP_READ, connections[i]);
        }
        int capacity = (int) Math.min(Integer.MAX_VALUE - 16, (long) (rate * seconds * 1.05) + 1024);
        FixedRateClient client = new FixedRateClient(connections, (long) (count * 1e9 / rate), capacity);
        if (warmup > 0) {
            // The same schedule first, not recorded: until the JIT has compiled this loop, the client sends late.
            long t = System.nanoTime();
            client.run(selector, t, t + (long) (warmup * 1e9));
            client.recorded = 0;
            client.errors = 0;
        }
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        client.run(selector, start, end);
        client.report(rate, (System.nanoTime() - start) / 1e9, Math.min(seconds, (System.nanoTime() - start) / 1e9));
        for (Connection c : connections) {
            c.channel.close();
        }
    }

    private void run(Selector selector, long start, long end) throws IOException {
        for (int i = 0; i < connections.length; i++) {
            connections[i].due = start + intervalNanos * i / connections.length;
        }
        long deadline = end + DRAIN_NANOS;
        while (true) {
            long now = System.nanoTime();
            long next = Long.MAX_VALUE;
            boolean busy = false;
            for (Connection c : connections) {
                if (c.broken) {
                    continue;
                }
                if (c.inFlight) {
                    busy = true;
                    continue;
                }
                if (c.due < end) {
                    if (c.due <= now) {
                        send(c, now);
                        busy = true;
                    } else {
                        next = Math.min(next, c.due);
                    }
                }
            }
            if (now >= end && !busy) {
                return;
            }
            if (now >= deadline) {
                for (Connection c : connections) {
                    if (c.inFlight) {
                        errors++;
                    }
                }
                return;
            }
            // Nothing more due before the end: wake at the end (or at the deadline for answers still awaited).
            long wake = next != Long.MAX_VALUE ? next : now < end ? end : deadline;
            long wait = Math.min(wake, deadline) - now;
            // A select with a timeout sleeps whole milliseconds. Polling through every shorter wait would take the
            // load core's whole CPU from the backends it shares it with; so only the last few microseconds are
            // polled, and a send that goes out late for it shows in the client's own lateness (send_lag).
            if (wait <= SPIN_NANOS) {
                selector.selectNow();
            } else {
                selector.select(Math.max(1, wait / 1_000_000L));
            }
            long received = System.nanoTime();
            for (SelectionKey key : selector.selectedKeys()) {
                read((Connection) key.attachment(), received);
            }
            selector.selectedKeys().clear();
        }
    }

    private void send(Connection c, long now) throws IOException {
        c.sentAt = now;
        c.intended = c.due;
        c.due += intervalNanos;
        c.inFlight = true;
        ByteBuffer out = ByteBuffer.wrap(c.request);
        while (out.hasRemaining()) {
            if (c.channel.write(out) < 0) {
                break;
            }
        }
    }

    private void read(Connection c, long now) {
        int n;
        try {
            n = c.channel.read(c.in);
        } catch (IOException e) {
            n = -1;
        }
        if (n < 0) {
            if (c.inFlight) {
                errors++;
            }
            c.inFlight = false;
            c.broken = true;
            return;
        }
        int status;
        while ((status = c.takeResponse()) != 0) {
            if (!c.inFlight) {
                errors++;
                continue;
            }
            c.inFlight = false;
            if (status < 200 || status >= 400) {
                errors++;
            }
            if (recorded < latencies.length) {
                latencies[recorded] = now - c.intended;
                sendLatencies[recorded] = now - c.sentAt;
                lags[recorded] = c.sentAt - c.intended;
                recorded++;
            }
        }
    }

    private void report(double rate, double elapsed, double seconds) {
        long[] lat = Arrays.copyOf(latencies, recorded);
        long[] sent = Arrays.copyOf(sendLatencies, recorded);
        long[] lag = Arrays.copyOf(lags, recorded);
        Arrays.sort(lat);
        Arrays.sort(sent);
        Arrays.sort(lag);
        System.out.printf("RATE_RESULT intended_rps=%.0f achieved_rps=%.0f requests=%d errors=%d seconds=%.1f"
                        + " p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d"
                        + " uncorrected_p50_us=%d uncorrected_p99_us=%d uncorrected_p999_us=%d"
                        + " send_lag_p50_us=%d send_lag_p99_us=%d send_lag_max_us=%d%n",
                rate, recorded / seconds, recorded, errors, elapsed,
                us(lat, 0.5), us(lat, 0.9), us(lat, 0.99), us(lat, 0.999), us(lat, 1.0),
                us(sent, 0.5), us(sent, 0.99), us(sent, 0.999),
                us(lag, 0.5), us(lag, 0.99), us(lag, 1.0));
    }

    private static long us(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return -1;
        }
        int i = (int) Math.ceil(quantile * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1000;
    }

    /** One keep-alive connection: its schedule, the request in flight, and the bytes of its answer so far. */
    private static final class Connection {
        final SocketChannel channel;
        final byte[] request;
        ByteBuffer in = ByteBuffer.allocate(16 * 1024);
        long due;
        long intended;
        long sentAt;
        boolean inFlight;
        boolean broken;

        Connection(SocketChannel channel, byte[] request) {
            this.channel = channel;
            this.request = request;
        }

        /** The value of the Content-Length header in a[0, headEnd), 0 when there is none. */
        private static long contentLength(byte[] a, int headEnd) {
            byte[] name = CONTENT_LENGTH;
            for (int i = 0; i + name.length < headEnd; i++) {
                if (a[i] != '\n') {
                    continue;
                }
                int j = 0;
                while (j < name.length && (a[i + 1 + j] | 0x20) == name[j]) {
                    j++;
                }
                if (j < name.length) {
                    continue;
                }
                long v = 0;
                for (int k = i + 1 + j; k < headEnd && a[k] != '\r'; k++) {
                    if (a[k] >= '0' && a[k] <= '9') {
                        v = v * 10 + (a[k] - '0');
                    }
                }
                return v;
            }
            return 0;
        }

        /** The status of the next whole response in the buffer, consumed; 0 when none is whole yet. */
        int takeResponse() {
            int limit = in.position();
            byte[] a = in.array();
            int headEnd = -1;
            for (int i = 3; i < limit; i++) {
                if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
                    headEnd = i + 1;
                    break;
                }
            }
            if (headEnd < 0) {
                if (limit == a.length) {
                    in = ByteBuffer.allocate(a.length * 2).put(a, 0, limit);
                }
                return 0;
            }
            int status = (a[9] - '0') * 100 + (a[10] - '0') * 10 + (a[11] - '0');
            long length = contentLength(a, headEnd);
            long total = headEnd + length;
            if (limit < total) {
                if (total > a.length) {
                    in = ByteBuffer.allocate((int) total).put(a, 0, limit);
                }
                return 0;
            }
            in.flip();
            in.position((int) total);
            in.compact();
            return status;
        }
    }
}
