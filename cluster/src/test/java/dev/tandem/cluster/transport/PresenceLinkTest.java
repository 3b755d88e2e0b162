package dev.tandem.cluster.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two presence links over real TCP on loopback, a at 127.0.0.21 and b at 127.0.0.22, on the same port. */
class PresenceLinkTest {

    private static final InetAddress A = address("127.0.0.21");
    private static final InetAddress B = address("127.0.0.22");

    private final List<PresenceLink> links = new ArrayList<>();
    private final List<String> goneAtA = new CopyOnWriteArrayList<>();
    private EventLoopGroup group;
    private int port;

    @BeforeEach
    void setUp() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try (ServerSocket s = new ServerSocket(0, 1, A)) {
            port = s.getLocalPort();
        }
    }

    @AfterEach
    void tearDown() {
        links.forEach(PresenceLink::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static InetAddress address(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private PresenceLink link(InetAddress self, String peer, InetAddress peerAddress, List<String> gone) throws Exception {
        PresenceLink link = new PresenceLink(group.next(), new InetSocketAddress(self, port),
                Map.of(peer, new InetSocketAddress(peerAddress, port)), Set.of(peerAddress), NioServerSocketChannel.class,
                NioSocketChannel.class, gone::add);
        link.start();
        links.add(link);
        return link;
    }

    /** Whether a connection from {@code from} to a's listener is greeted (else closed without a word). */
    private boolean greeted(InetAddress from) throws Exception {
        try (Socket s = new Socket(A, port, from, 0)) {
            s.setSoTimeout(2000);
            InputStream in = s.getInputStream();
            return in.read() == (PresenceLink.HELLO & 0xff);
        }
    }

    @Test
    void aPeerWhoseProcessGoesIsToldGone() throws Exception {
        PresenceLink a = link(A, "b", B, goneAtA);
        PresenceLink b = link(B, "a", A, new CopyOnWriteArrayList<>());
        await().atMost(Duration.ofSeconds(5)).until(() -> a.peersUp() == 1 && b.peersUp() == 1);

        long went = System.nanoTime();
        b.close(); // what the kernel does for a process that dies: its connections closed, its port refusing
        await().atMost(Duration.ofSeconds(2)).until(() -> goneAtA.contains("b"));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - went);
        assertTrue(ms < 1000, "told gone " + ms + " ms after the close");
        assertEquals(List.of("b"), goneAtA, "told once");
    }

    @Test
    void aPeerThatCutsItsConnectionsButStillListensIsAlive() throws Exception {
        PresenceLink a = link(A, "b", B, goneAtA);
        PresenceLink b = link(B, "a", A, new CopyOnWriteArrayList<>());
        await().atMost(Duration.ofSeconds(5)).until(() -> a.peersUp() == 1 && b.acceptedCount() == 1);
        b.dropAccepted();
        // a dials again at once and is greeted.
        await().atMost(Duration.ofSeconds(2)).until(() -> a.peersUp() == 1 && b.acceptedCount() == 1);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1)).until(goneAtA::isEmpty);
    }

    @Test
    void aPeerNeverReachedIsNeverToldGone() throws Exception {
        // b never listens: every dial is refused, but no connection was ever up to be closed by a dying process.
        link(A, "b", B, goneAtA);
        await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(2)).until(goneAtA::isEmpty);
    }

    @Test
    void aConnectionFromAnAddressThatIsNoNodeIsClosedWithoutAWord() throws Exception {
        link(A, "b", B, goneAtA);
        assertTrue(greeted(B), "a node's address is greeted");
        assertTrue(!greeted(address("127.0.0.23")), "a stranger is not");
    }
}
