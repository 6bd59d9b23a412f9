import { buildApp } from '../app';

buildApp().app.synth();
