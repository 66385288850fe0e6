import { pipeline, env } from "@xenova/transformers";

env.allowRemoteModels = true;
const classifier = await pipeline("text-classification", "Xenova/distilbert-base-uncased-finetuned-sst-2-english");
const asr = await pipeline("automatic-speech-recognition"); // the task's default model
console.log(classifier, asr);
