import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flume.Event;
import org.apache.flume.api.RpcClient;
import org.apache.flume.api.RpcClientFactory;
import org.apache.flume.event.EventBuilder;

/**
 * Benchmark load generator on Flume 1.11's own RpcClient (NettyAvroRpcClient): N threads in one JVM, each
 * with its own client (one connection), sending `count` events of `bytes` bytes in batches of `batch`.
 * One JVM instead of N keeps the generator's own CPU cost (JIT, GC threads) low on small machines.
 *
 *   FlumeLoad <host> <port> <threads> <countPerThread> <batch> <bytes> [client.type]
 *
 * Prints {"sent":N,"ms":T} once every thread is done; exits 1 on any delivery failure.
 */
public class FlumeLoad {
  public static void main(String[] a) throws Exception {
    String host = a[0];
    int port = Integer.parseInt(a[1]);
    int threads = Integer.parseInt(a[2]);
    int count = Integer.parseInt(a[3]);
    int batch = Integer.parseInt(a[4]);
    int bytes = Integer.parseInt(a[5]);
    String type = a.length > 6 ? a[6] : "default";
    byte[] body = new byte[bytes];
    java.util.Arrays.fill(body, (byte) 'x');
    AtomicLong failures = new AtomicLong();
    long t0 = System.nanoTime();
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      final int id = t;
      Thread th = new Thread(() -> {
        Properties p = new Properties();
        p.setProperty("client.type", type);
        p.setProperty("hosts", "h1");
        p.setProperty("hosts.h1", host + ":" + port);
        p.setProperty("batch-size", Integer.toString(batch));
        RpcClient client = RpcClientFactory.getInstance(p);
        try {
          Map<String, String> h = new HashMap<>();
          h.put("sender", Integer.toString(id));
          List<Event> buf = new ArrayList<>(batch);
          for (int i = 0; i < count; i++) {
            buf.add(EventBuilder.withBody(body, h));
            if (buf.size() == batch || i == count - 1) {
              client.appendBatch(buf);
              buf = new ArrayList<>(batch);
            }
          }
        } catch (Exception e) {
          e.printStackTrace();
          failures.incrementAndGet();
        } finally {
          client.close();
        }
      });
      th.start();
      ts.add(th);
    }
    for (Thread th : ts) th.join();
    System.out.printf("{\"sent\":%d,\"ms\":%.1f}%n", (long) threads * count, (System.nanoTime() - t0) / 1e6);
    System.out.flush();
    System.exit(failures.get() == 0 ? 0 : 1);
  }
}
