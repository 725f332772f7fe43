package io.ktrdr.app.worker;

import io.ktrdr.app.data.Bar;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fits a logistic regression that predicts whether the next bar closes higher, from the last {@code
 * lookback} log returns, by batch gradient descent. The first 80% of samples train, the rest test.
 */
final class Trainer {
  private Trainer() {}

  static Map<String, Object> run(
      List<Bar> bars, int epochs, double learningRate, int lookback, Steps steps) {
    int samples = bars.size() - lookback - 1;
    if (samples < 20) {
      throw new IllegalArgumentException(
          "Not enough bars: " + bars.size() + " bars for a lookback of " + lookback);
    }
    double[] returns = new double[bars.size() - 1];
    for (int i = 1; i < bars.size(); i++) {
      returns[i - 1] = Math.log(bars.get(i).close() / bars.get(i - 1).close());
    }
    double scale = standardDeviation(returns);
    double[][] features = new double[samples][lookback];
    int[] labels = new int[samples];
    for (int s = 0; s < samples; s++) {
      for (int k = 0; k < lookback; k++) {
        features[s][k] = returns[s + k] / scale;
      }
      labels[s] = returns[s + lookback] > 0 ? 1 : 0;
    }
    int train = (int) (samples * 0.8);
    double[] weights = new double[lookback];
    double bias = 0;
    double loss = 0;
    for (int epoch = 0; epoch < epochs; epoch++) {
      double[] gradient = new double[lookback];
      double biasGradient = 0;
      loss = 0;
      for (int s = 0; s < train; s++) {
        double p = sigmoid(dot(weights, features[s]) + bias);
        double error = p - labels[s];
        for (int k = 0; k < lookback; k++) {
          gradient[k] += error * features[s][k];
        }
        biasGradient += error;
        loss -= labels[s] == 1 ? Math.log(p + 1e-12) : Math.log(1 - p + 1e-12);
      }
      for (int k = 0; k < lookback; k++) {
        weights[k] -= learningRate * gradient[k] / train;
      }
      bias -= learningRate * biasGradient / train;
      loss /= train;
      steps.step(epoch + 1, epochs);
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("samples", samples);
    result.put("epochs", epochs);
    result.put("final_loss", Backtester.round(loss));
    result.put(
        "train_accuracy", Backtester.round(accuracy(weights, bias, features, labels, 0, train)));
    result.put(
        "test_accuracy",
        Backtester.round(accuracy(weights, bias, features, labels, train, samples)));
    return result;
  }

  private static double accuracy(
      double[] weights, double bias, double[][] features, int[] labels, int from, int to) {
    int correct = 0;
    for (int s = from; s < to; s++) {
      int predicted = sigmoid(dot(weights, features[s]) + bias) >= 0.5 ? 1 : 0;
      if (predicted == labels[s]) {
        correct++;
      }
    }
    return to == from ? 0 : (double) correct / (to - from);
  }

  private static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  private static double standardDeviation(double[] values) {
    double mean = 0;
    for (double v : values) {
      mean += v;
    }
    mean /= values.length;
    double variance = 0;
    for (double v : values) {
      variance += (v - mean) * (v - mean);
    }
    double sd = Math.sqrt(variance / values.length);
    return sd == 0 ? 1 : sd;
  }
}
