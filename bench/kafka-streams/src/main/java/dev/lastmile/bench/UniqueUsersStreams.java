// The Kafka Streams baseline of bench/unique-users.ts: exact distinct users per event-time
// minute of user.activity, with the same grace as lastmile's allowed lateness, as Kafka
// Streams' own documentation builds it: key each frame by its uid (the record key when the
// producer keyed by uid; else from the frame, which makes Streams repartition), one record
// per user and window (a windowed reduce, its final result once the window closes), then a
// count per window. Frames are read with Jackson's streaming parser, top-level uid and ts only.
//
//   java -cp target/classes:target/deps/* dev.lastmile.bench.UniqueUsersStreams
//     (configuration from the environment: see main)
package dev.lastmile.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.TimestampExtractor;

public final class UniqueUsersStreams {
  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] NOTHING = new byte[0];

  /** The frame's top-level uid, or null. */
  static String uidOf(byte[] frame) {
    Object v = topLevel(frame, "uid");
    return v instanceof String s && !s.isEmpty() ? s : null;
  }

  /** The frame's top-level ts (epoch seconds, a number or a numeric string) in ms, or -1. */
  static long tsOf(byte[] frame) {
    Object v = topLevel(frame, "ts");
    try {
      double sec = v instanceof Number n ? n.doubleValue() : v instanceof String s ? Double.parseDouble(s) : Double.NaN;
      return Double.isFinite(sec) && sec >= 0 ? (long) Math.floor(sec * 1000) : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static Object topLevel(byte[] frame, String field) {
    if (frame == null) return null;
    try (JsonParser p = JSON.createParser(frame)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        if (name.equals(field)) {
          if (t == JsonToken.VALUE_STRING) return p.getText();
          if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) return p.getNumberValue();
          return null;
        }
        p.skipChildren();
      }
      return null;
    } catch (Exception e) {
      return null;
    }
  }

  /** Event time from the frame; a frame without one is dropped (a negative timestamp). */
  public static final class FrameTime implements TimestampExtractor {
    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
      return tsOf((byte[]) record.value());
    }
  }

  private static String env(String name, String def) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? def : v;
  }

  public static void main(String[] args) throws Exception {
    String input = env("INPUT_TOPIC", "user.activity");
    String output = env("OUTPUT_TOPIC", "streams.unique-users");
    boolean keyed = Boolean.parseBoolean(env("KEYED_BY_UID", "true"));
    long graceSec = Long.parseLong(env("GRACE_SECONDS", "5"));

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, env("APPLICATION_ID", "bench-unique-users-streams"));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, env("BOOTSTRAP_SERVERS", "127.0.0.1:9092"));
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(env("STREAM_THREADS", "2")));
    props.put(StreamsConfig.STATE_DIR_CONFIG, env("STATE_DIR", "/tmp/kafka-streams"));
    // lastmile commits once a second per partition: the same here (the default is 30 s)
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    // the worker's fetch sizes
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_BYTES_CONFIG), 16 * 1024 * 1024);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), 4 * 1024 * 1024);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    String user = System.getenv("SASL_USERNAME");
    if (user != null && !user.isEmpty()) {
      props.put("security.protocol", "SASL_PLAINTEXT");
      props.put("sasl.mechanism", env("SASL_MECHANISM", "SCRAM-SHA-512"));
      props.put(
          "sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\"" + System.getenv("SASL_PASSWORD") + "\";");
    }

    StreamsBuilder builder = new StreamsBuilder();
    KGroupedStream<String, byte[]> byUser;
    if (keyed) {
      // the producer keyed each frame by its uid: grouped as it is read, no repartition
      KStream<String, byte[]> frames = builder.stream(input, Consumed.with(Serdes.String(), Serdes.ByteArray()).withTimestampExtractor(new FrameTime()));
      // (only the key is carried on: the windowed store and its changelog hold no frames)
      byUser = frames.filter((uid, v) -> uid != null).mapValues(v -> NOTHING).groupByKey(Grouped.with(Serdes.String(), Serdes.ByteArray()));
    } else {
      // keyed by the uid in the frame (only the key is carried on): Streams repartitions by it
      KStream<byte[], byte[]> frames = builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withTimestampExtractor(new FrameTime()));
      byUser = frames.map((k, v) -> KeyValue.pair(uidOf(v), NOTHING)).filter((uid, v) -> uid != null)
          .groupByKey(Grouped.with("by-uid", Serdes.String(), Serdes.ByteArray()));
    }
    byUser
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), Duration.ofSeconds(graceSec)))
        .reduce((first, later) -> first, Materialized.with(Serdes.String(), Serdes.ByteArray()))
        .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
        .toStream()
        .map((userWindow, v) -> KeyValue.pair(userWindow.window().start(), 1L))
        .groupByKey(Grouped.with("by-minute", Serdes.Long(), Serdes.Long()))
        .count(Materialized.with(Serdes.Long(), Serdes.Long()))
        .toStream()
        .to(output, Produced.with(Serdes.Long(), Serdes.Long()));

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(10));
      done.countDown();
    }));
    streams.setStateListener((now, before) -> System.out.println("state " + now));
    streams.start();
    done.await();
  }
}
