package dev.tandem.cluster.mirror;

import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.wire.Advert;
import dev.tandem.cluster.wire.AdvertCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

/**
 * Election adverts no node may act on, sent as fast as a socket takes them: random bytes, real adverts cut
 * short, adverts of an earlier run replayed from the right address, adverts signed with another key or with
 * a bit flipped, adverts signed with the right key from the wrong address, and adverts claiming to come from
 * their receiver. The forged ones say what would hurt most if believed: a master at the top priority, or the
 * master leaving (priority 0). Seeded: a failure replays.
 */
final class AdvertFlood {

    enum Kind {
        RANDOM, TRUNCATED, OTHER_KEY, BIT_FLIPPED, WRONG_SOURCE, CLAIMS_RECEIVER,
        /** The master's adverts of an earlier run, replayed to the backup (which hears the master's current run). */
        REPLAYED_AT_BACKUP,
        /**
         * The backup's adverts of an earlier run (when it held the VIP), replayed to the master. The backup sends
         * no election adverts (RFC 5798), but its presence adverts give the master a mark of its current run:
         * they are replays too.
         */
        REPLAYED_AT_MASTER
    }

    /** One node of the pair: its name, its address and UDP port, and its priority for the VIP. */
    record Target(String name, InetSocketAddress address, int priority) {
    }

    private final AdvertCodec real;
    private final AdvertCodec otherKey;
    private final String vip;
    private final Random random;
    private final Map<Kind, Integer> sent = new EnumMap<>(Kind.class);
    private final Map<String, Long> replayedSequence = new java.util.HashMap<>();

    AdvertFlood(byte[] secret, String vip, long seed) {
        this.real = new AdvertCodec(ClusterKeys.of(secret).hmac(ClusterKeys.ADVERTS));
        byte[] other = secret.clone();
        other[0] ^= 1;
        this.otherKey = new AdvertCodec(ClusterKeys.of(other).hmac(ClusterKeys.ADVERTS));
        this.vip = vip;
        this.random = new Random(seed);
    }

    /**
     * Sends {@code count} packets at an even pace over {@code duration} (stopping at {@code deadlineNanos} at the
     * latest), spread over the master and the backup, each as if from the other (or from {@code stranger});
     * returns how many of each kind went out.
     */
    Map<Kind, Integer> send(Target master, Target backup, InetAddress stranger, int count, java.time.Duration duration,
                            long deadlineNanos) throws IOException {
        long start = System.nanoTime();
        long gap = duration.toNanos() / count;
        try (DatagramSocket fromMaster = new DatagramSocket(0, master.address().getAddress());
             DatagramSocket fromBackup = new DatagramSocket(0, backup.address().getAddress());
             DatagramSocket fromStranger = new DatagramSocket(0, stranger)) {
            for (int i = 0; i < count && System.nanoTime() < deadlineNanos; i++) {
                java.util.concurrent.locks.LockSupport.parkNanos(start + i * gap - System.nanoTime());
                boolean toBackup = (i & 1) == 0;
                Target to = toBackup ? backup : master;
                Target peer = toBackup ? master : backup;
                Kind kind = Kind.values()[random.nextInt(Kind.REPLAYED_AT_BACKUP.ordinal() + 1)];
                if (kind == Kind.REPLAYED_AT_BACKUP && !toBackup) {
                    kind = Kind.REPLAYED_AT_MASTER;
                }
                byte[] p = packet(kind, to, peer);
                DatagramSocket via = kind == Kind.WRONG_SOURCE ? fromStranger : toBackup ? fromMaster : fromBackup;
                via.send(new DatagramPacket(p, p.length, to.address()));
                sent.merge(kind, 1, Integer::sum);
            }
        }
        return sent;
    }

    private byte[] packet(Kind kind, Target to, Target peer) {
        switch (kind) {
            case RANDOM -> {
                byte[] b = new byte[random.nextInt(AdvertCodec.MAX_LENGTH + 64)];
                random.nextBytes(b);
                return b;
            }
            case TRUNCATED -> {
                byte[] whole = encode(real, loud(peer.name(), 1));
                return java.util.Arrays.copyOf(whole, random.nextInt(whole.length));
            }
            case REPLAYED_AT_BACKUP, REPLAYED_AT_MASTER -> {
                // What the peer sent in an earlier run (epoch 1; this run's epoch is a boot count far above), as
                // master of the VIP at its own priority, in the order it sent them.
                long sequence = replayedSequence.merge(peer.name(), 1L, Long::sum);
                return encode(real, new Advert(peer.name(), vip, peer.priority(), 100, 1, sequence,
                        Advert.MASTER | Advert.ANNOUNCED));
            }
            case OTHER_KEY -> {
                return encode(otherKey, loud(peer.name(), Long.MAX_VALUE / 2));
            }
            case BIT_FLIPPED -> {
                byte[] b = encode(real, loud(peer.name(), Long.MAX_VALUE / 2));
                int bit = random.nextInt(b.length * 8);
                b[bit / 8] ^= (byte) (1 << (bit % 8));
                return b;
            }
            case WRONG_SOURCE -> {
                return encode(real, loud(peer.name(), Long.MAX_VALUE / 2));
            }
            case CLAIMS_RECEIVER -> {
                return encode(real, loud(to.name(), Long.MAX_VALUE / 2));
            }
            default -> throw new AssertionError(kind);
        }
    }

    /** What would move the VIP if believed: the top priority as master, or "leaving" (priority 0). */
    private Advert loud(String node, long epoch) {
        boolean leaving = random.nextBoolean();
        return new Advert(node, vip, leaving ? 0 : 254, 100, epoch, 1 + random.nextInt(1 << 20),
                leaving ? 0 : Advert.MASTER | Advert.ANNOUNCED);
    }

    private static byte[] encode(AdvertCodec codec, Advert a) {
        ByteBuf buf = Unpooled.buffer();
        try {
            codec.encode(a, buf);
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            return bytes;
        } finally {
            buf.release();
        }
    }
}
