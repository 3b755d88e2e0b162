package dev.tandem.node.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Snapshot;
import dev.tandem.proxy.ProxyServer;
import dev.tandem.proxy.transport.Transport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A listener on a VIP must be up before the VIP is on this host (a backup listens all along, so that taking
 * the VIP over is only an {@code ip addr add}). 192.0.2.77 (TEST-NET-1) is on no interface here; binding it
 * sends nothing.
 */
class FreeBindTest {

    private static final String VIP = "192.0.2.77";

    private static Snapshot snapshot() throws Exception {
        return new Snapshot(ConfigLoader.parse("t.yaml", """
                listeners:
                  - {name: vip, bind: "%s:0"}
                """.formatted(VIP), Path.of("/tmp")), "h", 1, "t.yaml");
    }

    private static void bindsTheVip(Transport transport) throws Exception {
        ProxyServer proxy = new ProxyServer(transport, new SimpleMeterRegistry());
        try {
            proxy.start(snapshot());
            InetSocketAddress bound = proxy.boundAddress("vip");
            assertEquals(VIP, bound.getAddress().getHostAddress());
        } finally {
            proxy.close(Duration.ZERO);
        }
    }

    @Test
    void ioUringListenersBindAnAddressTheHostDoesNotHaveYet() throws Exception {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        bindsTheVip(Transport.ioUring());
    }

    @Test
    void epollListenersBindAnAddressTheHostDoesNotHaveYet() throws Exception {
        assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
        bindsTheVip(Transport.epoll());
    }

    @Test
    void withoutFreeBindTheSameListenerFails() throws Exception {
        assumeTrue(!"1".equals(Files.readString(Path.of("/proc/sys/net/ipv4/ip_nonlocal_bind")).trim()),
                "net.ipv4.ip_nonlocal_bind is on here: every transport may bind any address");
        ProxyServer proxy = new ProxyServer(Transport.nio(), new SimpleMeterRegistry());
        try {
            assertThrows(IOException.class, () -> proxy.start(snapshot()));
        } finally {
            proxy.close(Duration.ZERO);
        }
    }
}
