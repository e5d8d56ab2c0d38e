import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flume.Event;
import org.apache.flume.api.RpcClient;
import org.apache.flume.api.RpcClientFactory;
import org.apache.flume.event.EventBuilder;

/**
 * Sends events to a Flume Avro or Thrift source with Flume 1.11's own SDK RpcClient, so our sources are driven by
 * the real Java client (framing, handshake, compression and TLS exactly as production senders do it).
 *
 * <pre>
 * FlumeSend --type avro|thrift --host H --port P [--count N] [--batch B]
 *           [--header k=v]... [--body-file F]   (one event per line; default: "event i", header seq=i)
 *           [--compression deflate] [--compression-level L] [--thrift-protocol compact|binary]
 *           [--ssl] [--truststore F] [--truststore-password PW] [--truststore-type JKS|PKCS12] [--trust-all-certs]
 *           [--prop key=value]...                (any other RpcClient property)
 * </pre>
 *
 * Prints one JSON line {"sent":N,"batches":B,"ms":T} on success; exits 1 with the exception on failure (an
 * EventDeliveryException means the source answered FAILED or the connection broke).
 */
public class FlumeSend {
  public static void main(String[] argv) {
    // Exit explicitly: after close() the Avro client's Netty threads (non-daemon) linger ~2 s in their graceful
    // shutdown quiet period, which would double the cost of every send in a test. close() has already run.
    int status = 1;
    try {
      send(argv);
      status = 0;
    } catch (Throwable t) {
      t.printStackTrace();
    }
    System.out.flush();
    System.exit(status);
  }

  static void send(String[] argv) throws Exception {
    Properties p = new Properties();
    Map<String, String> headers = new LinkedHashMap<>();
    String type = "avro", host = "127.0.0.1", port = null, bodyFile = null;
    int count = -1, batch = 100;
    for (int i = 0; i < argv.length; i++) {
      String a = argv[i];
      String v = a.equals("--ssl") || a.equals("--trust-all-certs") ? "true" : argv[++i];
      switch (a) {
        case "--type": type = v; break;
        case "--host": host = v; break;
        case "--port": port = v; break;
        case "--count": count = Integer.parseInt(v); break;
        case "--batch": batch = Integer.parseInt(v); break;
        case "--body-file": bodyFile = v; break;
        case "--header": headers.put(v.substring(0, v.indexOf('=')), v.substring(v.indexOf('=') + 1)); break;
        case "--compression": p.setProperty("compression-type", v); break;
        case "--compression-level": p.setProperty("compression-level", v); break;
        case "--thrift-protocol": p.setProperty("protocol", v); break;
        case "--ssl": p.setProperty("ssl", v); break;
        case "--trust-all-certs": p.setProperty("trust-all-certs", v); break;
        case "--truststore": p.setProperty("truststore", v); break;
        case "--truststore-password": p.setProperty("truststore-password", v); break;
        case "--truststore-type": p.setProperty("truststore-type", v); break;
        case "--prop": p.setProperty(v.substring(0, v.indexOf('=')), v.substring(v.indexOf('=') + 1)); break;
        default: throw new IllegalArgumentException("unknown option " + a);
      }
    }
    if (port == null) throw new IllegalArgumentException("--port is required");
    if (!type.equals("avro") && !type.equals("thrift")) throw new IllegalArgumentException("--type avro|thrift");
    // "default" is NettyAvroRpcClient; "thrift" is ThriftRpcClient (compact protocol unless --thrift-protocol)
    p.setProperty("client.type", type.equals("thrift") ? "thrift" : "default");
    p.setProperty("hosts", "h1");
    p.setProperty("hosts.h1", host + ":" + port);
    p.setProperty("batch-size", Integer.toString(batch));

    List<byte[]> bodies = null;
    if (bodyFile != null) {
      bodies = new ArrayList<>();
      for (String line : Files.readAllLines(Paths.get(bodyFile), StandardCharsets.UTF_8)) {
        bodies.add(line.getBytes(StandardCharsets.UTF_8));
      }
      if (count < 0) count = bodies.size();
    }
    if (count < 0) count = 1;

    RpcClient client = RpcClientFactory.getInstance(p);
    long t0 = System.nanoTime();
    int batches = 0;
    try {
      List<Event> buf = new ArrayList<>(batch);
      for (int i = 0; i < count; i++) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        byte[] body;
        if (bodies != null) {
          body = bodies.get(i % bodies.size());
        } else {
          body = ("event " + i).getBytes(StandardCharsets.UTF_8);
          h.putIfAbsent("seq", Integer.toString(i));
        }
        buf.add(EventBuilder.withBody(body, h));
        if (buf.size() == batch) {
          client.appendBatch(buf);
          batches++;
          buf.clear();
        }
      }
      if (!buf.isEmpty()) {
        client.appendBatch(buf);
        batches++;
      }
    } finally {
      client.close();
    }
    System.out.printf("{\"sent\":%d,\"batches\":%d,\"ms\":%.1f}%n", count, batches, (System.nanoTime() - t0) / 1e6);
  }
}
