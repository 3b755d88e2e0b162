package dev.tandem.cluster.mirror;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.mirror.internal.Handshake;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the mirror tells of a peer whose process is gone: its connection closed from its side and the next one
 * refused, as a kernel ends a process that died. Node a is a mirror; its peer b is played by the test, as a
 * listener at b's address that answers the handshake.
 */
class MirrorPeerGoneTest {

    private static final byte[] KEY = ClusterKeys.of(MirrorNodes.SECRET).mirrorKey();

    @TempDir
    Path base;
    private MirrorNodes nodes;
    private ServerSocket listener;
    private Thread acceptor;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private final AtomicInteger handshakes = new AtomicInteger();
    private final List<String> gone = new CopyOnWriteArrayList<>();
    /** b closes each connection once its handshake is over. */
    private volatile boolean closeEach;
    /** b's listener takes one more connection, cuts it before a word, and closes: a process on its way out. */
    private volatile boolean dying;

    @AfterEach
    void stop() throws IOException {
        if (nodes != null) {
            nodes.close();
        }
        if (listener != null) {
            listener.close();
        }
        for (Socket s : accepted) {
            s.close();
        }
    }

    /** Node a's mirror, and b played here: listening at b's address, answering each handshake as b. */
    private void startAWithBPlayedHere() throws Exception {
        nodes = new MirrorNodes(base, "a", "b").syncWait(Duration.ofSeconds(1));
        listener = new ServerSocket();
        listener.bind(nodes.address("b"));
        acceptor = new Thread(this::accept, "played-b");
        acceptor.setDaemon(true);
        acceptor.start();
        nodes.start("a").onPeerGone(gone::add);
        await().atMost(10, TimeUnit.SECONDS).until(() -> handshakes.get() >= 1);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                accepted.add(s);
                if (dying) {
                    s.setSoLinger(true, 0);
                    s.close();
                    listener.close();
                    return;
                }
                answer(s);
                handshakes.incrementAndGet();
                if (closeEach) {
                    s.close();
                }
            } catch (Exception e) {
                // closed, or a handshake cut short: the next one
            }
        }
    }

    private static void answer(Socket s) throws Exception {
        DataInputStream in = new DataInputStream(s.getInputStream());
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        Handshake h = new Handshake(KEY, false, "b");
        ByteBuf b = Unpooled.buffer();
        try {
            read(in, b);
            h.readClientHello(b);
            b.clear();
            h.writeServerHello(b);
            write(out, b);
            b.clear();
            read(in, b);
            h.readClientFinish(b);
        } finally {
            b.release();
        }
    }

    private static void read(DataInputStream in, ByteBuf into) throws IOException {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        into.writeBytes(bytes);
    }

    private static void write(DataOutputStream out, ByteBuf body) throws IOException {
        out.writeInt(body.readableBytes());
        body.readBytes(out, body.readableBytes());
        out.flush();
    }

    /**
     * b stops listening, as a process that died. Waits for the thread blocked in accept to leave it: until then
     * the kernel keeps the listening socket (the call holds it), and a dial made meanwhile is accepted and
     * answered, as by a live b.
     */
    private void stopListening() throws Exception {
        listener.close();
        acceptor.join(TimeUnit.SECONDS.toMillis(10));
        assertTrue(!acceptor.isAlive(), "b's accept returned");
    }

    private Socket last() {
        return accepted.get(accepted.size() - 1);
    }

    @Test
    void aPeerWhoseConnectionClosesAndWhichRefusesTheNextIsGone() throws Exception {
        startAWithBPlayedHere();
        // as a process dies: nothing listens any more, and its connection ends
        stopListening();
        last().close();
        await().atMost(2, TimeUnit.SECONDS).until(() -> gone.equals(List.of("b")));
    }

    @Test
    void aResetConnectionIsGoneToo() throws Exception {
        startAWithBPlayedHere();
        stopListening();
        last().setSoLinger(true, 0);
        last().close();
        await().atMost(2, TimeUnit.SECONDS).until(() -> gone.equals(List.of("b")));
    }

    @Test
    void aPeerThatClosesTheConnectionButAnswersTheNextIsNotGone() throws Exception {
        // its mirror reset the connection while the process lives on: the dial made at once is answered
        startAWithBPlayedHere();
        last().close();
        await().atMost(5, TimeUnit.SECONDS).until(() -> handshakes.get() >= 2);
        assertTrue(gone.isEmpty(), gone.toString());
    }

    @Test
    void aPeerThatRefusesWithoutHavingClosedItsConnectionIsNotToldGone() throws Exception {
        // nothing listens at b's address, but no connection of b's ever closed: a peer never up (or a dial after
        // a close made here) says nothing of b's process
        nodes = new MirrorNodes(base, "a", "b").syncWait(Duration.ofSeconds(1));
        Mirror a = nodes.start("a");
        a.onPeerGone(gone::add);
        a.firstSync().orTimeout(10, TimeUnit.SECONDS).join();
        // the dials go on, refused, every 100 ms doubling to 2 s
        await().pollDelay(Duration.ofMillis(800)).atMost(2, TimeUnit.SECONDS).until(() -> true);
        assertEquals(List.of(), gone);
    }

    @Test
    void aLivePeerThatClosesEveryConnectionIsDialedWithTheBackOffNotInALoop() throws Exception {
        startAWithBPlayedHere();
        closeEach = true;
        last().close();
        await().atMost(5, TimeUnit.SECONDS).until(() -> handshakes.get() >= 3);
        int before = handshakes.get();
        await().pollDelay(Duration.ofSeconds(1)).atMost(2, TimeUnit.SECONDS).until(() -> true);
        // at once only the first time within a heartbeat (5 s); then 100 ms apart, as any dropped connection
        assertTrue(handshakes.get() - before <= 15, (handshakes.get() - before) + " handshakes in a second");
        assertTrue(gone.isEmpty(), gone.toString());
    }

    @Test
    void aListenerThatOutlivesTheConnectionsByAnInstantStillEndsInARefusal() throws Exception {
        // the kernel let go of the dying process's listening socket last: the dial at once was accepted and cut
        startAWithBPlayedHere();
        dying = true;
        last().close();
        await().atMost(2, TimeUnit.SECONDS).until(() -> gone.equals(List.of("b")));
    }
}
