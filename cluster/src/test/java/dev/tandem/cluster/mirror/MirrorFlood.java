package dev.tandem.cluster.mirror;

import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.mirror.internal.Handshake;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

/**
 * Mirror connections no listener may accept, one after another: random bytes, a frame announcing a
 * gigabyte, a genuine hello cut short, a genuine hello and finish replayed from an earlier connection (whose
 * listener nonce was another), a hello and finish forged with another key, and a well-framed handshake of
 * random bytes. Each connection sends its bytes, ends its output and waits (briefly) for the listener to
 * close. Seeded: a failure replays.
 */
final class MirrorFlood {

    enum Kind { RANDOM, HUGE_FRAME, TRUNCATED_HELLO, REPLAYED, OTHER_KEY, RANDOM_FRAMES }

    private final byte[] key;
    private final byte[] otherKey;
    private final Random random;
    private final Map<Kind, Integer> sent = new EnumMap<>(Kind.class);
    private final Map<InetSocketAddress, byte[]> recorded = new java.util.HashMap<>();

    MirrorFlood(byte[] secret, long seed) {
        this.key = ClusterKeys.of(secret).mirrorKey();
        byte[] other = secret.clone();
        other[0] ^= 1;
        this.otherKey = ClusterKeys.of(other).mirrorKey();
        this.random = new Random(seed);
    }

    /**
     * Records a genuine opening as node {@code as} against {@code listener}: the hello, and the finish that
     * answers the listener's hello; the finish is never sent on that connection, which the listener drops.
     */
    void record(InetSocketAddress listener, String as, InetAddress from) throws Exception {
        try (Socket s = open(listener, from)) {
            java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
            Handshake h = new Handshake(key, true, as);
            ByteBuf hello = Unpooled.buffer();
            ByteBuf reply = Unpooled.buffer();
            ByteBuf finish = Unpooled.buffer();
            try {
                h.writeClientHello(hello);
                s.getOutputStream().write(frame(hello));
                byte[] replyBytes = new byte[in.readInt()];
                in.readFully(replyBytes);
                reply.writeBytes(replyBytes);
                h.readServerHello(reply);
                h.writeClientFinish(finish);
                recorded.put(listener, concat(frame(hello), frame(finish)));
            } finally {
                hello.release();
                reply.release();
                finish.release();
            }
        }
    }

    /**
     * Opens {@code count} connections at an even pace over {@code duration} (as fast as they go when they take
     * longer; stopping at {@code deadlineNanos}), spread over {@code listeners}.
     */
    Map<Kind, Integer> send(InetSocketAddress[] listeners, String[] claims, InetAddress[] claimsAddress,
                            InetAddress stranger, int count, java.time.Duration duration, long deadlineNanos)
            throws Exception {
        long start = System.nanoTime();
        long gap = duration.toNanos() / count;
        for (int i = 0; i < count && System.nanoTime() < deadlineNanos; i++) {
            java.util.concurrent.locks.LockSupport.parkNanos(start + i * gap - System.nanoTime());
            int t = i % listeners.length;
            Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
            byte[] bytes = bytes(kind, listeners[t], claims[t]);
            // Mostly from the address of the node the bytes claim to be (a listener that admits only the nodes'
            // addresses lets those try the handshake), one in four from an address of no node.
            try (Socket s = open(listeners[t], i % 4 == 3 ? stranger : claimsAddress[t])) {
                s.getOutputStream().write(bytes);
                s.shutdownOutput();
                InputStream in = s.getInputStream();
                byte[] sink = new byte[4096];
                while (in.read(sink) >= 0) {
                    // the listener's hello, if it got that far; then its close
                }
            } catch (IOException e) {
                // reset or timed out: the listener dropped it either way
            }
            sent.merge(kind, 1, Integer::sum);
        }
        return sent;
    }

    private byte[] bytes(Kind kind, InetSocketAddress listener, String claim) {
        switch (kind) {
            case RANDOM -> {
                byte[] b = new byte[random.nextInt(256)];
                random.nextBytes(b);
                return b;
            }
            case HUGE_FRAME -> {
                return new byte[]{0x40, 0, 0, 0, 1, 2, 3};
            }
            case TRUNCATED_HELLO -> {
                byte[] whole = hello(key, claim);
                return java.util.Arrays.copyOf(whole, random.nextInt(whole.length));
            }
            case REPLAYED -> {
                return recorded.get(listener).clone();
            }
            case OTHER_KEY -> {
                byte[] finish = new byte[33];
                random.nextBytes(finish);
                return concat(hello(otherKey, claim), frame(finish));
            }
            case RANDOM_FRAMES -> {
                byte[] a = new byte[1 + random.nextInt(64)];
                byte[] b = new byte[1 + random.nextInt(64)];
                random.nextBytes(a);
                random.nextBytes(b);
                return concat(frame(a), frame(b));
            }
            default -> throw new AssertionError(kind);
        }
    }

    private static Socket open(InetSocketAddress to, InetAddress from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(to, 2000);
        s.setSoTimeout(2000);
        return s;
    }

    private static byte[] hello(byte[] key, String as) {
        ByteBuf b = Unpooled.buffer();
        try {
            new Handshake(key, true, as).writeClientHello(b);
            return frame(b);
        } finally {
            b.release();
        }
    }

    private static byte[] frame(ByteBuf body) {
        byte[] bytes = new byte[body.readableBytes()];
        body.getBytes(body.readerIndex(), bytes);
        return frame(bytes);
    }

    private static byte[] frame(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DataOutputStream d = new DataOutputStream(out)) {
            d.writeInt(body.length);
            d.write(body);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
