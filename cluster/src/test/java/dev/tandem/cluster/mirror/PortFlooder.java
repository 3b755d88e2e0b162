package dev.tandem.cluster.mirror;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A stranger flooding a TCP port, bounded in count and in time: each thread opens a connection about every
 * millisecond and, in turn, keeps it silent (a handshake that never comes), sends garbage, or sends the
 * first bytes of a handshake frame and stops there (a slow handshake); every connection is held up to
 * {@link #HOLD} and then closed, so hundreds are open at once.
 */
final class PortFlooder implements AutoCloseable {

    static final Duration HOLD = Duration.ofSeconds(3);

    private final InetSocketAddress target;
    private final InetAddress from;
    private final long maxConnections;
    private final long deadline;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong opened = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();

    /**
     * @param maxConnections connections opened in all, at most
     * @param maxTime        how long it floods at most
     */
    PortFlooder(InetSocketAddress target, InetAddress from, int threads, long maxConnections, Duration maxTime) {
        this.target = target;
        this.from = from;
        this.maxConnections = maxConnections;
        this.deadline = System.nanoTime() + maxTime.toNanos();
        for (int i = 0; i < threads; i++) {
            Random random = new Random(i);
            Thread t = new Thread(() -> flood(random), "flooder-" + i);
            t.setDaemon(true);
            this.threads.add(t);
        }
    }

    PortFlooder start() {
        threads.forEach(Thread::start);
        return this;
    }

    /** Connections opened so far. */
    long opened() {
        return opened.get();
    }

    /** Whether it is still flooding (neither stopped nor past its bounds). */
    boolean flooding() {
        return threads.stream().anyMatch(Thread::isAlive);
    }

    private record Held(Socket socket, long since) {
    }

    private void flood(Random random) {
        ArrayDeque<Held> held = new ArrayDeque<>();
        try {
            while (!stop.get() && System.nanoTime() < deadline && opened.incrementAndGet() <= maxConnections) {
                long now = System.nanoTime();
                while (!held.isEmpty() && now - held.peekFirst().since() > HOLD.toNanos()) {
                    closeQuietly(held.pollFirst().socket());
                }
                Socket s = new Socket();
                try {
                    s.bind(new InetSocketAddress(from, 0));
                    s.connect(target, 1000);
                    OutputStream out = s.getOutputStream();
                    switch ((int) (opened.get() % 3)) {
                        case 0 -> { } // silent
                        case 1 -> {
                            byte[] junk = new byte[64 + random.nextInt(512)];
                            random.nextBytes(junk);
                            out.write(junk);
                        }
                        default -> out.write(new byte[]{0, 0, 0, 100, 1, 2, 3});
                    }
                    held.addLast(new Held(s, now));
                } catch (IOException e) {
                    closeQuietly(s); // refused or reset: on to the next
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // the flood's pace
            }
        } finally {
            held.forEach(h -> closeQuietly(h.socket()));
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // gone already
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(10_000);
        }
    }
}
